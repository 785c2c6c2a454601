from core.importcommand import ImportCommand
from scoring.importers import QbrComponentImporter


class Command(ImportCommand):
    help = "Import qbr components from CSV or XLSX (validate-then-commit, upsert)."
    importer_class = QbrComponentImporter

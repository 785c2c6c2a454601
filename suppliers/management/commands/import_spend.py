from core.importcommand import ImportCommand
from suppliers.importers import SpendImporter


class Command(ImportCommand):
    help = "Import spend from CSV or XLSX (validate-then-commit, upsert)."
    importer_class = SpendImporter

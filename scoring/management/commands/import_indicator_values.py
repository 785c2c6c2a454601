from core.importcommand import ImportCommand
from scoring.importers import IndicatorValueImporter


class Command(ImportCommand):
    help = "Import indicator values from CSV or XLSX (validate-then-commit, upsert)."
    importer_class = IndicatorValueImporter

from core.importcommand import ImportCommand
from suppliers.importers import FxRateImporter


class Command(ImportCommand):
    help = "Import fx rates from CSV or XLSX (validate-then-commit, upsert)."
    importer_class = FxRateImporter

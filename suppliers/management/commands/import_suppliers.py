from core.importcommand import ImportCommand
from suppliers.importers import SupplierImporter


class Command(ImportCommand):
    help = "Import suppliers from CSV or XLSX (validate-then-commit, upsert)."
    importer_class = SupplierImporter

from core.importcommand import ImportCommand
from disclosure.importers import EmissionInventoryImporter


class Command(ImportCommand):
    help = "Import yearly GHG inventories (validate-then-commit, upsert on supplier_code and year)."
    importer_class = EmissionInventoryImporter

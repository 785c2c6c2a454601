from core.importcommand import ImportCommand
from disclosure.importers import EmissionFactorImporter


class Command(ImportCommand):
    help = "Import emission factors per commodity ('*' = default; validate-then-commit, upsert)."
    importer_class = EmissionFactorImporter

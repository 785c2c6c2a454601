from core.importcommand import ImportCommand
from suppliers.importers import SiteImporter


class Command(ImportCommand):
    help = "Import sites from CSV or XLSX (validate-then-commit, upsert)."
    importer_class = SiteImporter

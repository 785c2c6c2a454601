from audits.importers import FindingImporter
from core.importcommand import ImportCommand


class Command(ImportCommand):
    help = "Import findings from CSV or XLSX (validate-then-commit, upsert)."
    importer_class = FindingImporter

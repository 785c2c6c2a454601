from audits.importers import AuditImporter
from core.importcommand import ImportCommand


class Command(ImportCommand):
    help = "Import audits from CSV or XLSX (validate-then-commit, upsert)."
    importer_class = AuditImporter

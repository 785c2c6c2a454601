from audits.recognitions import SiteRecognitionImporter
from core.importcommand import ImportCommand


class Command(ImportCommand):
    help = ("Import site recognitions (RBA Factory of Choice; validate-then-commit, upsert on "
            "site_code, program and awarded_on).")
    importer_class = SiteRecognitionImporter

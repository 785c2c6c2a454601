from core.importcommand import ImportCommand
from disclosure.training import TrainingRecordImporter


class Command(ImportCommand):
    help = "Import training records (validate-then-commit, upsert on supplier_code, person_ref and course_code)."
    importer_class = TrainingRecordImporter

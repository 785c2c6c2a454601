from core.importcommand import ImportCommand
from disclosure.training import CourseImporter


class Command(ImportCommand):
    help = "Import ESG courses (validate-then-commit, upsert on course_code)."
    importer_class = CourseImporter

from core.importcommand import ImportCommand
from disclosure.sessions import SessionAttendanceImporter


class Command(ImportCommand):
    help = "Import session attendance (validate-then-commit; see disclosure/sessions.py)."
    importer_class = SessionAttendanceImporter

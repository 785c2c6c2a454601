from core.importcommand import ImportCommand
from disclosure.sessions import TrainingSessionImporter


class Command(ImportCommand):
    help = "Import training sessions (validate-then-commit; see disclosure/sessions.py)."
    importer_class = TrainingSessionImporter

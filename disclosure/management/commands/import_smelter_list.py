from core.importcommand import ImportCommand
from disclosure.minerals import SmelterListImporter


class Command(ImportCommand):
    help = ("Import the RMI smelter/refiner list with RMAP status per metal (validate-then-commit, upsert on "
            "smelter_id and metal; every dated status is kept).")
    importer_class = SmelterListImporter

"""``import_sbti PATH [--dry-run] [--map COLUMN=HEADER] [--as-of DATE]`` (contract.md, "Additions")."""

from scoring.management.commands._thirdparty import ThirdPartyImportCommand
from scoring.thirdparty import SbtiImporter


class Command(ThirdPartyImportCommand):
    importer_class = SbtiImporter

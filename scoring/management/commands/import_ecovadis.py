"""``import_ecovadis PATH [--dry-run] [--map COLUMN=HEADER] [--as-of DATE]`` (contract.md, "Additions")."""

from scoring.management.commands._thirdparty import ThirdPartyImportCommand
from scoring.thirdparty import EcoVadisImporter


class Command(ThirdPartyImportCommand):
    importer_class = EcoVadisImporter

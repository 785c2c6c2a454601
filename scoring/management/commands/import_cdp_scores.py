"""``import_cdp_scores PATH [--dry-run] [--map COLUMN=HEADER] [--as-of DATE]`` (contract.md, "Additions")."""

from scoring.management.commands._thirdparty import ThirdPartyImportCommand
from scoring.thirdparty import CdpImporter


class Command(ThirdPartyImportCommand):
    importer_class = CdpImporter

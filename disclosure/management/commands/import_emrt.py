from disclosure.management.commands._minerals_command import MineralsReportCommand


class Command(MineralsReportCommand):
    help = "Import a supplier's Extended Minerals Reporting Template (EMRT 1.1–2.1): declaration and smelter list."
    template = "emrt"

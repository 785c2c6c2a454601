from disclosure.management.commands._minerals_command import MineralsReportCommand


class Command(MineralsReportCommand):
    help = "Import a supplier's Conflict Minerals Reporting Template (CMRT 6.01–6.5): declaration and smelter list."
    template = "cmrt"

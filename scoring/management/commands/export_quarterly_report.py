from django.core.management.base import BaseCommand, CommandError

from core.parsers import CellError, parse_quarter
from scoring import exports


class Command(BaseCommand):
    help = "Export a quarter's stored results (CSV: the scores sheet only)."

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True)
        parser.add_argument("--format", choices=["xlsx", "csv", "pdf"], required=True)
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, *args, quarter, format, output, **options):
        try:
            quarter = parse_quarter(quarter)
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        try:
            if format == "csv":
                count = exports.write_scores_csv(quarter, output)
            elif format == "xlsx":
                count = exports.write_workbook(quarter, output)
            else:
                count = exports.write_report_cards_pdf(quarter, output)
        except exports.NoStoredScores as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{format} report for {quarter} written to {output} ({count} suppliers)")

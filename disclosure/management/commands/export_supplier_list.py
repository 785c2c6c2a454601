from django.core.management.base import BaseCommand, CommandError

from core.parsers import CellError, parse_quarter
from disclosure import publication, selectors
from suppliers.spend import MissingFxRates


class Command(BaseCommand):
    help = ("Write the public list of major suppliers' production sites for a quarter "
            "(scorecard.md section 10): CSV or XLSX, never spend, scores, findings or contacts.")

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True)
        parser.add_argument("--format", choices=["csv", "xlsx"], required=True)
        parser.add_argument("--output", required=True, help="file to write")

    def handle(self, *args, quarter, format, output, **options):
        try:
            quarter = parse_quarter(quarter)
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        try:
            rows = selectors.supplier_list(quarter)
        except MissingFxRates as exc:
            raise CommandError(f"cannot compute the {quarter} population: {exc}; import them with "
                               "import_fx_rates first") from exc
        writer = publication.write_csv if format == "csv" else publication.write_xlsx
        count = writer(rows, output)
        self.stdout.write(f"supplier list for {quarter} written to {output} ({count} sites)")

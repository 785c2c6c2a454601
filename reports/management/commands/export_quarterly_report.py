from django.core.management.base import BaseCommand, CommandError

from core.parsers import CellError, parse_quarter
from reports import exporters, scores_csv
from reports.fonts import FontMissing
from reports.selectors import ScoresReplaced
from scoring.selectors import UnknownMethodology, results_methodology
from suppliers.models import Supplier


class Command(BaseCommand):
    help = ("Export a quarter's stored results: xlsx (the full workbook), csv (the scores sheet only) or pdf "
            "(report cards: one supplier's PDF with --supplier, otherwise a zip of every card).")

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True)
        parser.add_argument("--format", choices=["xlsx", "csv", "pdf"], required=True)
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument("--supplier", help="pdf only: this supplier's report card (default: a zip of every card)")
        parser.add_argument("--methodology", help="csv only: this methodology version's results (default: the "
                                                  "quarter's official version)")

    def handle(self, *args, quarter, format, output, supplier=None, methodology=None, **options):
        try:
            quarter = parse_quarter(quarter)
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        supplier_ids = None
        if supplier:
            if format != "pdf":
                raise CommandError("--supplier goes with --format pdf")
            pk = Supplier.objects.filter(code=supplier).values_list("pk", flat=True).first()
            if pk is None:
                raise CommandError(f"unknown supplier code '{supplier}'")
            supplier_ids = [pk]
        version = None
        if methodology:
            if format != "csv":
                raise CommandError("--methodology goes with --format csv")
            try:
                version = results_methodology(quarter, methodology)
            except UnknownMethodology:
                raise CommandError(f"unknown methodology version '{methodology}'") from None
        try:
            if format == "csv":
                count = scores_csv.write_scores_csv(quarter, output, version)
            elif format == "xlsx":
                count = exporters.write_workbook(quarter, output)
            else:
                count = exporters.write_report_cards(quarter, output, supplier_ids=supplier_ids)
        except (scores_csv.NoStoredScores, ScoresReplaced, FontMissing) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{format} report for {quarter} written to {output} ({count} suppliers)")

from django.core.management.base import BaseCommand, CommandError

from core.parsers import CellError, parse_quarter
from core.quarter import FutureQuarter, ensure_not_future
from scoring import services
from scoring.models import Methodology, RunStatus
from scoring.selectors import NoPublishedMethodology


class Command(BaseCommand):
    help = "Recalculate a quarter's scores in the foreground (the same code the Celery task runs)."

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="YYYY-Qn, e.g. 2026-Q3")
        parser.add_argument("--methodology", help="methodology version (default: the latest published)")

    def handle(self, *args, quarter, methodology=None, **options):
        try:
            quarter = ensure_not_future(parse_quarter(quarter))
        except (CellError, FutureQuarter) as exc:
            raise CommandError(str(exc)) from exc
        chosen = None
        if methodology:
            chosen = Methodology.objects.filter(version=methodology).first()
            if chosen is None:
                raise CommandError(f"unknown methodology version '{methodology}'")
        try:
            run = services.score_run_now(quarter=quarter, methodology=chosen, actor="recalculate_scores",
                                         trigger="command")
        except (services.RecalculationRefused, NoPublishedMethodology) as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            raise CommandError(f"interrupted: the recalculation of {quarter} was cancelled") from None
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"recalculation of {quarter} failed: {run.error}")
        counts = run.counts
        met = ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in counts.get("coverage_met", {}).items())
        self.stdout.write(
            f"{quarter} recalculated with methodology {run.methodology.version} (run {run.pk}, "
            f"{run.duration_seconds:.2f}s): {counts['scored']} suppliers scored, {counts['full']} full scorecard, "
            f"{counts['ecovadis_only']} EcoVadis-only, {counts['termination_review']} in termination review; "
            f"coverage: {met or 'n/a'}"
        )

import json

from django.core.management.base import BaseCommand, CommandError

from core.parsers import CellError, parse_quarter
from scoring.selectors import coverage_metrics, coverage_snapshot


class Command(BaseCommand):
    help = "The 95%-of-spend coverage metrics of a quarter (scorecard.md section 7), from its latest run."

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True)
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, quarter, format, **options):
        try:
            quarter = parse_quarter(quarter)
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        snapshot = coverage_snapshot(quarter)
        if snapshot is None:
            raise CommandError(f"no coverage for {quarter}: run recalculate_scores --quarter {quarter} first")
        data = snapshot.data
        if format == "json":
            public = {key: data[key] for key in ("quarter", "base_currency", "total_spend", "target", "populations",
                                                 "metrics")}
            self.stdout.write(json.dumps(public, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Coverage {data['quarter']} (methodology {data.get('methodology', '?')}, "
                          f"run {data.get('run', '?')}): "
                          f"total spend {data['total_spend']:,.2f} {data['base_currency']}")
        for name, population in data["populations"].items():
            self.stdout.write(f"  population {name:<14} {population['suppliers']:>7} suppliers "
                              f"{population['spend_share']:8.2%} of spend")
        for name, metric in coverage_metrics(data):
            state = "met" if metric["met"] else "MISSED"
            self.stdout.write(f"  {name:<15} {metric['share']:8.2%} target {metric['target']:.0%}  {state}"
                              f"  ({len(metric['gaps'])} gaps)")
            for gap in metric["gaps"][:10]:
                self.stdout.write(
                    f"      {gap['supplier']:<20} {gap['spend']:>18,.2f}  → {gap['cumulative_share']:.2%}")
            if len(metric["gaps"]) > 10:
                self.stdout.write(f"      … {len(metric['gaps']) - 10} more (use --format json)")

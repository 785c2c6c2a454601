import json

from django.core.management.base import BaseCommand, CommandError

from core.parsers import CellError, parse_quarter
from disclosure import selectors
from suppliers.spend import MissingFxRates

TOP = 20


class Command(BaseCommand):
    help = "The supply-chain emissions estimate of a quarter (scorecard.md section 11)."

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True)
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, quarter, format, **options):
        try:
            quarter = parse_quarter(quarter)
        except CellError as exc:
            raise CommandError(str(exc)) from exc
        try:
            report = selectors.emissions_estimate(quarter)
        except MissingFxRates as exc:
            raise CommandError(f"cannot compute the {quarter} spend basis: {exc}; import them with "
                               "import_fx_rates first") from exc
        if format == "json":
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Supply-chain emissions {report['quarter']}: {report['total_tco2e']:,.3f} tCO2e "
                          f"(spend in {report['base_currency']})")
        for name, method in report["methods"].items():
            tco2e = "-" if method["tco2e"] is None else f"{method['tco2e']:,.3f}"
            self.stdout.write(f"  {name:<18} {method['suppliers']:>7} suppliers {method['spend_share']:8.2%} "
                              f"of spend {tco2e:>18} tCO2e")
        estimated = [line for line in report["suppliers"] if line["tco2e"] is not None]
        if estimated:
            self.stdout.write(f"  largest emitters (of {len(estimated)} estimated):")
            for line in estimated[:TOP]:
                self.stdout.write(f"      {line['supplier']:<20} {line['method']:<18} {line['tco2e']:>18,.3f}")

"""A realistic, reproducible demo data set and one login per role."""

from __future__ import annotations

import random

from django.core.management.base import BaseCommand
from django.db import transaction

from core.quarter import Quarter
from core.quarter import today as business_day
from demo.users import create_demo_users
from suppliers.demo import demo_quarters, seed_master_data
from suppliers.models import Supplier


class Command(BaseCommand):
    help = ("Load a reproducible demo supply base (suppliers, sites, spend, audits, values, scores) and demo logins "
            "into an empty database. E-mails the demo's workflow sends are written to EMAIL_FILE_PATH "
            "(var/mail/ on a laptop); `manage.py demo_logins` prints the logins.")

    def add_arguments(self, parser):
        parser.add_argument("--suppliers", type=int, default=300, metavar="N",
                            help="how many suppliers to create, with their sites, spend, audits and values "
                                 "(default: 300)")
        parser.add_argument("--seed", type=int, default=2026,
                            help="random seed: the same seed and size give the same data (default: 2026)")
        parser.add_argument("--if-empty", action="store_true",
                            help="when suppliers already exist, keep them and only make sure the demo logins "
                                 "exist (otherwise the command refuses to load into a non-empty database)")
        parser.add_argument("--no-scores", action="store_true",
                            help="skip recalculating the last four closed quarters and previewing the draft v2 "
                                 "at the end")

    def handle(self, *args, suppliers, seed, if_empty, no_scores, **options):
        if Supplier.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already present: kept as it is.")
                create_demo_users()
                return
            self.stderr.write("Suppliers already exist: seed_demo loads into an empty database only.")
            raise SystemExit(1)
        rng = random.Random(seed)
        last = Quarter.containing(business_day()).previous()
        quarters = demo_quarters(last)
        with transaction.atomic():
            supplier_rows = seed_master_data(count=suppliers, rng=rng, last_quarter=last)
            create_demo_users()  # the demo's workflow steps are taken by these users
            self._seed_optional("audits.demo", "seed_audits", suppliers=supplier_rows, rng=rng, as_of=last.as_of)
            self._seed_optional("scoring.demo", "seed_indicator_values", suppliers=supplier_rows, rng=rng,
                                quarters=quarters)
            self._seed_optional("scoring.demo", "seed_qbr_components", suppliers=supplier_rows, rng=rng,
                                quarters=quarters)
            self._seed_optional("disclosure.demo", "seed_disclosure", suppliers=supplier_rows, rng=rng,
                                as_of=last.as_of)
            self._seed_optional("disclosure.demo", "seed_training", suppliers=supplier_rows, rng=rng,
                                as_of=business_day())
            self._seed_optional("demo.industry", "seed_industry_files", suppliers=supplier_rows, rng=rng,
                                as_of=last.as_of)
            create_demo_users()
        self.stdout.write(f"Seeded {suppliers} suppliers with 8 quarters of spend ({quarters[0]} … {last}).")
        if not no_scores:
            from scoring.services import score_run_now

            # The quarters with indicator values: four points on the portfolio trends.
            for quarter in quarters[-4:]:
                run = score_run_now(quarter=quarter, actor="seed_demo", trigger="command")
                self.stdout.write(f"Recalculated {quarter}: {run.status} {run.counts.get('scored', 0)} scored"
                                  f"{' — ' + run.error if run.error else ''}")
            self._what_if(last)

    def _what_if(self, quarter: Quarter) -> None:
        """A draft v2 that weighs responsible minerals more and EcoVadis less, previewed on the
        last quarter: the comparison page (Scorecard → Compare versions) has two versions to show."""
        from scoring.methodology_drafts import draft_create, weights_set
        from scoring.services import score_run_now

        draft = draft_create(version="v2", based_on=None, actor="seed_demo",
                             description="What-if: responsible minerals weigh more, EcoVadis less")
        weights_set(methodology=draft, actor="seed_demo", changes=[
            {"code": "MIN-02", "weight": "6"}, {"code": "MIN-04", "weight": "5"},
            {"code": "ECO-01", "weight": "5"}, {"code": "ECO-02", "weight": "1"}, {"code": "ECO-05", "weight": "1"},
        ])
        run = score_run_now(quarter=quarter, methodology=draft, actor="seed_demo", trigger="command", preview=True)
        self.stdout.write(f"Previewed draft {draft.version} on {quarter}: {run.status} "
                          f"{run.counts.get('scored', 0)} scored")

    def _seed_optional(self, module_name: str, function: str, **kwargs) -> None:
        import importlib

        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            return
        count = getattr(module, function)(**kwargs)
        self.stdout.write(f"{module_name}.{function}: {count}")

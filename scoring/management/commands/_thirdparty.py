"""The shared shape of ``import_ecovadis``, ``import_cdp_scores`` and ``import_sbti``
(contract.md, "Additions"; docs/industry-files.md)."""

from __future__ import annotations

from django.core.management.base import CommandError

from core.errors import DomainError
from core.importcommand import ImportCommand
from core.parsers import CellError, parse_date


def parse_mapping(items: list[str]) -> dict[str, str]:
    """``["overall=Global Score", "country=Country/Area"]`` → {column: header}."""
    mapping = {}
    for item in items:
        column, separator, header = item.partition("=")
        if not separator or not column.strip() or not header.strip():
            raise CommandError(f"--map {item!r}: write COLUMN=HEADER, e.g. --map 'overall=Global Score'")
        mapping[column.strip()] = header.strip()
    return mapping


class ThirdPartyImportCommand(ImportCommand):
    help = "Import a third-party list; rows are matched to suppliers, fuzzy matches wait for review"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--map", action="append", default=[], metavar="COLUMN=HEADER",
                            help="the file's header for a column, when it differs from the default mapping "
                                 "(repeatable; docs/industry-files.md)")
        parser.add_argument("--as-of", help="ISO date the list was downloaded (CDP, SBTi: the values' quarter; "
                                            "EcoVadis: the day the 12 months are counted from); default today")

    def handle(self, *args, path, dry_run, user=None, **options):
        self.mapping = parse_mapping(options.get("map") or [])
        as_of = options.get("as_of")
        try:
            self.as_of = parse_date(as_of) if as_of else None
        except CellError as exc:
            raise CommandError(f"--as-of: {exc}") from None
        self.dry_run = dry_run
        super().handle(*args, path=path, dry_run=dry_run, user=user, **options)

    def make_importer(self, actor):
        try:
            return self.importer_class(actor=actor, mapping=self.mapping, as_of=self.as_of)
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def report(self, result):
        extra = result.extra
        for row in extra.get("rows", []):
            if self.dry_run or row["status"] != "matched":
                target = row["supplier"] or ", ".join(f"{c['code']} ({c['score']})" for c in row["candidates"])
                values = " ".join(f"{code}={value}" for code, value in row["values"].items())
                self.stdout.write(f"row {row['row']}: {row['status']} {row['company_name']}"
                                  f"{' → ' + target if target else ''} {row['quarter']} {values}"
                                  f"{' (' + row['note'] + ')' if row['note'] else ''}")
        self.stdout.write(f"matched {extra.get('matched', 0)}, to review {extra.get('to_review', 0)}, "
                          f"unmatched {extra.get('unmatched', 0)}, refused {extra.get('refused', 0)}")


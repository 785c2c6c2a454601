"""The shared shape of every ``import_*`` management command (contract.md)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from core.importing import ImportFailed


class ImportCommand(BaseCommand):
    importer_class = None  # set by each command

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV (UTF-8 or GB18030) or XLSX file")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument("--user", help="username recorded as the actor (default: the command name)")

    def handle(self, *args, path, dry_run, user=None, **options):
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"unknown user '{user}'")
        importer = self.make_importer(actor)
        try:
            result = importer.run(file_path, dry_run=dry_run, filename=file_path.name)
        except ImportFailed as failure:
            for warning in failure.warnings:
                self.stderr.write(f"warning: {warning}")
            for error in failure.errors:
                self.stderr.write(str(error))
            self.stderr.write(f"{len(failure.errors)} error(s); nothing was written")
            raise SystemExit(1) from None
        except (OperationalError, InterfaceError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise CommandError(f"the database connection was lost ({reason}); nothing was written: "
                               "run the import again") from None
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")
        self.stdout.write(result.summary())
        self.report(result)

    def make_importer(self, actor):
        return self.importer_class(actor=actor)

    def report(self, result) -> None:
        """Hook: more lines after the counts (e.g. the third-party lists' matching)."""

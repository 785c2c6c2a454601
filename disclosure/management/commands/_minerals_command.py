"""The shared shape of ``import_cmrt`` and ``import_emrt`` (contract.md "Additions")."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from core.parsers import CellError, normalize_identifier
from disclosure.minerals import minerals_report_import, path_upload
from suppliers.models import Supplier


class MineralsReportCommand(BaseCommand):
    template = ""  # "cmrt" or "emrt"

    def add_arguments(self, parser):
        parser.add_argument("path", help="the supplier's filled-in RMI workbook (.xlsx)")
        parser.add_argument("--supplier", required=True, help="supplier code")
        parser.add_argument("--dry-run", action="store_true", help="read and check only; write nothing")
        parser.add_argument("--user", help="username recorded as the actor (default: the command name)")

    def handle(self, *args, path, supplier, dry_run, user=None, **options):
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            code = normalize_identifier(supplier)
        except CellError as exc:
            raise CommandError(f"--supplier: {exc}") from None
        found = Supplier.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"unknown supplier code '{code}'")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"unknown user '{user}'")
        try:
            # The upload checker's messages are translated: a command speaks the site's language.
            with translation.override(settings.LANGUAGE_CODE):
                result = minerals_report_import(supplier=found, template=self.template,
                                                upload=path_upload(file_path), actor=actor, dry_run=dry_run,
                                                channel=f"import:{file_path.name}")
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(f"{file_path.name}: {message}")
            self.stderr.write("the file was refused; nothing was written")
            raise SystemExit(1) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(result.summary())

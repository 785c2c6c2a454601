"""Responsible minerals: the RMI smelter list and suppliers' CMRT/EMRT reports
(contract.md "Additions", scorecard.md section 9, docs/industry-files.md).

- ``SmelterListImporter`` (``import_smelter_list``): upsert on (smelter_id, metal); every
  dated status is kept in ``SmelterStatus``; the smelter's current status is the one of its
  latest ``as_of`` (an older list adds history without changing the current status). A
  second status for the same smelter and date replaces the first.
- ``minerals_report_import``: the one door of a CMRT/EMRT, for the command line, the API and
  the portal. The file passes ``core.uploads`` (size, type, macros, zip bomb), then
  ``disclosure.rmi.read_report``; nothing is written when either refuses. Procurement's
  import is accepted at once and replaces an accepted report of the same supplier, template
  and declaration date (the natural key); a supplier user's upload is ``submitted`` and
  counts once procurement accepts it (``minerals_report_review``).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import roles, uploads
from core.history import history_context, stamp
from core.importing import Column, Importer, Kind, given, upsert
from core.parsers import choice_parser, identifier_parser, past_date_parser, text_parser
from core.quarter import today
from core.review import ensure_reviewable, ensure_reviewer, record_review
from disclosure.models import (
    InventoryState,
    Metal,
    MineralsReport,
    MineralsReportSmelter,
    RmapStatus,
    Smelter,
    SmelterStatus,
)
from disclosure.rmi import TEMPLATE_NAMES, Report, TemplateRefused, read_report
from disclosure.rmi_constants import normalise_smelter_id
from suppliers.models import Supplier
from suppliers.services import ensure_supplier_user_may_submit

# --------------------------------------------------------------------------- the smelter list


def parse_smelter_id(text: str) -> str:
    """An RMI smelter id (``CID000001``): an identifier, normalised by
    ``disclosure.rmi_constants.normalise_smelter_id``."""
    return normalise_smelter_id(identifier_parser(max_length=20)(text))


def parse_list_country(text: str) -> str:
    """The list's country as written (names such as "China" or ISO codes), trimmed."""
    return text_parser(max_length=100)(text).strip()


PREVIEW_ROWS = 1000  # rows a dry run lists (``ImportResult.extra["rows"]``); the counts cover every row


class SmelterListImporter(Importer):
    name = "import_smelter_list"
    key = ("smelter_id", "metal")
    columns = (
        Column("smelter_id", parse_smelter_id, kind=Kind.CODE),
        Column("metal", choice_parser(Metal.values, what="metal"), kind=Kind.CHOICE),
        Column("name", text_parser(max_length=255)),
        Column("country", parse_list_country, kind=Kind.TEXT),
        Column("status", choice_parser(RmapStatus.values, what="status"), kind=Kind.CHOICE),
        Column("as_of", past_date_parser(what="as_of"), required=False, kind=Kind.DATE),
    )

    def write(self, rows, *, dry_run):
        day = today()
        keys = {(r.values["smelter_id"], r.values["metal"]) for r in rows}
        existing = {(s.smelter_id, s.metal): s for s in
                    Smelter.objects.filter(smelter_id__in={k[0] for k in keys})}
        existing = {key: smelter for key, smelter in existing.items() if key in keys}
        dated = [(r, given(r.values["as_of"], day)) for r in rows]
        before = {key: (smelter.status, smelter.as_of) for key, smelter in existing.items()}

        def current(row, as_of):
            smelter = existing.get((row.values["smelter_id"], row.values["metal"]))
            # An older list than the one in force adds history only.
            newer = smelter is None or as_of >= smelter.as_of
            fields = {"smelter_id": row.values["smelter_id"], "metal": row.values["metal"],
                      "name": row.values["name"], "country": row.values["country"]}
            if newer:
                fields.update(status=row.values["status"], as_of=as_of)
            return (row.values["smelter_id"], row.values["metal"]), fields

        result, created, _changes = upsert(
            Smelter, rows=(current(r, as_of) for r, as_of in dated), existing=existing,
            create=lambda key, values: Smelter(**values), dry_run=dry_run)
        if not dry_run:
            self._write_statuses(dated)
        result.extra = {"rows": self._preview(dated, before)}
        return result

    @staticmethod
    def _preview(dated, before) -> list[dict]:
        """Each row as the preview shows it: the list's values, the status the smelter had
        (``previous``; empty for a new smelter) and whether the row sets the current status
        (``current``: false for an older list, which adds history only)."""
        preview = []
        for row, as_of in dated[:PREVIEW_ROWS]:
            previous, previous_as_of = before.get((row.values["smelter_id"], row.values["metal"]), ("", None))
            preview.append({"row": row.line, "smelter_id": row.values["smelter_id"], "metal": row.values["metal"],
                            "name": row.values["name"], "country": row.values["country"],
                            "status": row.values["status"], "as_of": as_of.isoformat(),
                            "previous": previous,
                            "current": previous_as_of is None or as_of >= previous_as_of})
        return preview

    @staticmethod
    def _write_statuses(dated) -> None:
        ids = {(s.smelter_id, s.metal): s.pk for s in Smelter.objects.filter(
            smelter_id__in={r.values["smelter_id"] for r, _ in dated})}
        wanted = {(ids[(r.values["smelter_id"], r.values["metal"])], as_of): r.values["status"] for r, as_of in dated}
        stored = {(s.smelter_id, s.as_of): s for s in
                  SmelterStatus.objects.filter(smelter_id__in={k[0] for k in wanted})}
        to_create, to_update = [], []
        for (smelter_id, as_of), status in wanted.items():
            row = stored.get((smelter_id, as_of))
            if row is None:
                to_create.append(SmelterStatus(smelter_id=smelter_id, as_of=as_of, status=status))
            elif row.status != status:
                row.status = status
                to_update.append(row)
        SmelterStatus.objects.bulk_create(to_create, batch_size=2000)
        SmelterStatus.objects.bulk_update(to_update, ["status"], batch_size=500)


# --------------------------------------------------------------------------- CMRT / EMRT


class ReportRefused(ValidationError):
    """The file is refused; ``messages`` say why (sheet and cell). Nothing was written."""


@dataclass
class ReportResult:
    report: MineralsReport | None
    created: bool
    dry_run: bool
    smelter_rows: int

    def summary(self) -> str:
        prefix = "dry run, nothing written: would have " if self.dry_run else ""
        verb = "created" if self.created else "replaced"
        report = self.report
        return (f"{prefix}{verb} {TEMPLATE_NAMES[report.template]} {report.version} of {report.supplier.code} "
                f"dated {report.declaration_date.isoformat()} ({report.state}), "
                f"{self.smelter_rows} smelter row(s)")

    def as_dict(self) -> dict:
        report = self.report
        return {"id": report.pk, "supplier_code": report.supplier.code, "template": report.template,
                "version": report.version, "declaration_date": report.declaration_date.isoformat(),
                "state": report.state, "created": self.created, "dry_run": self.dry_run,
                "smelter_rows": self.smelter_rows}


def read_upload(upload, template: str) -> Report:
    """Check an uploaded file (``core.uploads.check_import``: size, type by content, no .xls,
    no macro workbook, no zip bomb) and read it as ``template``. Raises ``ReportRefused``."""
    try:
        kind = uploads.check_import(upload)
        if kind is not uploads.XLSX:
            raise uploads.UploadRefused(f"the {TEMPLATE_NAMES[template]} must be the RMI Excel workbook (.xlsx)")
        upload.seek(0)
        return read_report(upload, template, today=today())
    except (uploads.UploadRefused, TemplateRefused) as exc:
        raise ReportRefused(str(exc)) from None
    finally:
        upload.seek(0)


class _PathUpload(io.BytesIO):
    """A file on disk seen as an upload (name and size) by ``core.uploads``."""

    def __init__(self, path):
        with open(path, "rb") as handle:
            super().__init__(handle.read())
        self.name = str(path)
        self.size = len(self.getvalue())


def path_upload(path) -> _PathUpload:
    return _PathUpload(path)


@transaction.atomic
def minerals_report_import(*, supplier: Supplier, template: str, upload, actor, dry_run: bool = False,
                           channel: str = "") -> ReportResult:
    """Read ``upload`` (a Django ``UploadedFile`` or ``path_upload``) as the supplier's CMRT
    (``template="cmrt"``) or EMRT (``"emrt"``) and store its declaration and smelter rows.

    A supplier user may upload for its own supplier only (callers scope the supplier) and not
    when terminated; its report is ``submitted``. A procurement writer's is ``accepted`` and
    replaces the accepted report with the same supplier, template and declaration date.
    Viewers may not import. Raises ``ReportRefused`` (the file), ``PermissionDenied``."""
    from django.core.exceptions import PermissionDenied

    if template not in TEMPLATE_NAMES:
        raise ReportRefused(f"unknown template '{template}'")
    is_supplier = roles.is_supplier_user(actor)
    if actor is not None and not is_supplier and not roles.can_write_master_data(actor):
        raise PermissionDenied("Only procurement analysts and admins, or the supplier itself, upload minerals reports.")
    ensure_supplier_user_may_submit(actor=actor, supplier=supplier)
    parsed = read_upload(upload, template)
    now = timezone.now()
    state = InventoryState.SUBMITTED if is_supplier else InventoryState.ACCEPTED
    replaced = []
    if not is_supplier:
        replaced = list(MineralsReport.objects.filter(supplier=supplier, template=template,
                                                      declaration_date=parsed.declaration_date,
                                                      state=InventoryState.ACCEPTED))
    report = MineralsReport(
        supplier=supplier, template=template, version=parsed.version, company_name=parsed.company_name,
        declaration_scope=parsed.declaration_scope, declaration_date=parsed.declaration_date, answers=parsed.answers,
        products=parsed.products, mines=parsed.mines,
        original_name=uploads.display_name(getattr(upload, "name", ""))[:255], state=state,
        submitted_by=actor if actor is not None and not isinstance(actor, str) else None,
        reviewed_at=None if is_supplier else now,
        reviewed_by=None if is_supplier or isinstance(actor, str) else actor)
    result = ReportResult(report=report, created=not replaced, dry_run=dry_run, smelter_rows=len(parsed.smelters))
    if dry_run:
        return result
    reason = f"{TEMPLATE_NAMES[template]} {parsed.version}"
    with history_context(channel=channel or None, user=actor, reason=reason):
        for old in replaced:
            stamp(old, actor=actor, reason=f"replaced by a newer import of the {reason}").delete()
        stamp(report, actor=actor).save()
        rows = [MineralsReportSmelter(report=report, **vars(row)) for row in parsed.smelters]
        MineralsReportSmelter.objects.bulk_create(rows, batch_size=2000)
    return result


@transaction.atomic
def minerals_report_review(*, report: MineralsReport, state: str, actor, comment: str = "") -> MineralsReport:
    """Accept or reject a supplier's submitted report, like an indicator value (scorecard.md
    section 5): only procurement writers review (``core.review.ensure_reviewer``), only
    ``submitted`` reports; a rejection needs a comment. An accepted report replaces the
    accepted one with the same supplier, template and declaration date. Raises
    ``PermissionDenied`` (nothing written), ``ValidationError`` keyed ``state``/``comment``."""
    ensure_reviewer(actor)
    report = MineralsReport.objects.select_for_update().get(pk=report.pk)
    ensure_reviewable(current_state=report.state, state=state, comment=comment, what="reports",
                      reason_message=_("Say why the report is rejected so the supplier can correct it."))
    if state == InventoryState.ACCEPTED:
        for old in MineralsReport.objects.filter(supplier_id=report.supplier_id, template=report.template,
                                                 declaration_date=report.declaration_date,
                                                 state=InventoryState.ACCEPTED).exclude(pk=report.pk):
            stamp(old, actor=actor, reason="replaced by an accepted submission").delete()
    return record_review(report, state=state, actor=actor, comment=comment)


# --------------------------------------------------------------------------- reads


def latest_reports(supplier: Supplier) -> dict[str, MineralsReport | None]:
    """The supplier's latest accepted CMRT and EMRT (latest declaration date, then the later
    import), by template. One query (the supplier's accepted reports, a few a year)."""
    latest: dict[str, MineralsReport | None] = dict.fromkeys(TEMPLATE_NAMES)
    for report in (MineralsReport.objects.filter(supplier=supplier, state=InventoryState.ACCEPTED,
                                                 template__in=list(TEMPLATE_NAMES))
                   .order_by("template", "-declaration_date", "-id")):
        if latest[report.template] is None:
            latest[report.template] = report
    return latest


def smelter_list_at(day: dt.date):
    """Every smelter of the list with its status in force at ``day`` (``status_at``; None
    before its first dated status), as a queryset of ``Smelter``. One query."""
    from django.db.models import OuterRef, Subquery

    status = (SmelterStatus.objects.filter(smelter=OuterRef("pk"), as_of__lte=day).order_by("-as_of")
              .values("status")[:1])
    return Smelter.objects.annotate(status_at=Subquery(status))


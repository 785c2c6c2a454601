"""Quarterly exports: start one, watch it, download the file when it is ready
(``reports.services`` writes the files)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import jobs, roles
from core.quarter import Quarter
from portal import selectors
from portal.access import may_request_card, may_start_export, role_required
from portal.forms import ReportForm
from portal.progress import job_state
from portal.views.common import paginate
from reports import services
from reports.models import ACTIVE_REPORT_STATUSES, Report, ReportFormat, ReportStatus
from suppliers.selectors import scope_to_user, visible_suppliers


def _reports(user):
    return scope_to_user(Report.objects.select_related("supplier", "run__methodology"), user, "supplier")


def _requested_supplier(request):
    """The supplier a report is requested for: a supplier user's own; for procurement the
    ``supplier`` code posted, if any (404 when it is not visible)."""
    if roles.is_supplier_user(request.user):
        return visible_suppliers(request.user).first()
    if request.POST.get("supplier"):
        supplier = visible_suppliers(request.user).filter(code=request.POST["supplier"]).first()
        if supplier is None:
            raise Http404
        return supplier
    return None


def _started_message(request, report: Report, pending: str = "") -> None:
    """With tasks run in the request (no broker: the laptop default) the export has already
    ended by now: say so, with its download link, instead of "started" (``pending``)."""
    report.refresh_from_db()
    if report.is_ready:
        messages.success(request, format_html(
            _("Export ready: {link}"), link=format_html('<a href="{}">{}</a>', reverse(
                "portal:report-download", args=[report.pk]), report.download_name())))
    elif report.status == ReportStatus.FAILED:
        messages.error(request, _("The export failed: %(error)s") % {"error": report.error})
    else:
        messages.success(request, pending or _("Export started; the file appears here when it is ready."))


@role_required
def report_list(request):
    quarters = selectors.scored_quarters()
    form = ReportForm(quarters=quarters, initial={"quarter": quarters[0] if quarters else None})
    if not roles.is_procurement(request.user):
        form.fields["format"].choices = [(ReportFormat.PDF, ReportFormat.PDF.label)]
    can_export = may_start_export(request.user)
    if request.method == "POST":
        if not can_export:
            raise PermissionDenied(_("Viewers download existing reports; analysts and administrators start exports."))
        form = ReportForm(request.POST, quarters=quarters)
        if not roles.is_procurement(request.user):
            form.fields["format"].choices = [(ReportFormat.PDF, ReportFormat.PDF.label)]
        if form.is_valid():
            supplier = _requested_supplier(request)
            wait = jobs.start_wait(request.user)
            try:
                if wait is not None:
                    raise services.ReportRefused(_("You have started many jobs in the last minute; try again in "
                                                   "%(seconds)s seconds.") % {"seconds": wait})
                report = services.report_enqueue(quarter=Quarter.parse(form.cleaned_data["quarter"]),
                                                 format=form.cleaned_data["format"], supplier=supplier,
                                                 actor=request.user)
            except services.ReportRefused as exc:
                form.add_error(None, str(exc))
            else:
                if report.reused:
                    messages.info(request, _("The same export is already being prepared; it appears here when "
                                             "it is ready."))
                else:
                    _started_message(request, report)
                return redirect("portal:report-list")
    return render(request, "portal/report_list.html", {
        "form": form, "page": paginate(request, _reports(request.user)), "quarters": quarters,
        "can_export": can_export,
        "has_active": _reports(request.user).filter(status__in=ACTIVE_REPORT_STATUSES).exists(),
    }, status=400 if form.is_bound and form.errors else 200)


@require_POST
@role_required
def report_card(request, code: str):
    """Start the PDF report card of one supplier for a quarter (from the supplier page)."""
    supplier = get_object_or_404(visible_suppliers(request.user), code=code)
    if not may_request_card(request.user, supplier):
        raise PermissionDenied(_("Viewers download existing reports; analysts and administrators start exports."))
    try:
        report = services.report_enqueue(quarter=Quarter.parse(request.POST.get("quarter", "")),
                                         format=ReportFormat.PDF, supplier=supplier, actor=request.user)
    except services.ReportRefused as exc:
        messages.error(request, str(exc))
    except ValueError:
        messages.error(request, _("Choose a quarter with stored scores."))
    else:
        _started_message(request, report, _("Report card requested; download it from Reports when it is ready."))
    return redirect("portal:report-list")


@role_required
def report_status(request, pk: int):
    """The export's state as JSON (``portal.progress.job_state``, ``ready``, ``download_url``):
    the reports page polls it. A supplier user reaches only its own supplier's reports."""
    report = get_object_or_404(_reports(request.user), pk=pk)
    return JsonResponse({"id": report.pk, **job_state(report), "ready": report.is_ready, "error": report.error,
                         "download_url": reverse("portal:report-download", args=[report.pk])
                         if report.is_ready else None})


@role_required
def report_download(request, pk: int):
    report = get_object_or_404(_reports(request.user), pk=pk)
    if not report.is_ready:
        raise Http404
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=report.download_name(),
                        content_type=report.content_type)

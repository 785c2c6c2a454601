"""Who may open a page: one named check per access rule (style.md habit 3).

Supplier data is always read through ``suppliers.selectors.visible_suppliers`` /
``scope_to_user``; these decorators only gate the pages by role. A page a role may not
use answers 403; another supplier's object answers 404 (its queryset is scoped).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from core import roles
from reports.models import ReportFormat
from reports.services import may_request_report
from suppliers.selectors import can_act_for_supplier, visible_suppliers

__all__ = ["can_act_for_supplier", "supplier_for", "role_required", "procurement_required", "writer_required",
           "admin_required", "may_start_export", "may_request_card"]


def _require(check):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def has_role(user) -> bool:
    return roles.role_of(user) is not None


role_required = _require(has_role)
procurement_required = _require(roles.is_procurement)
writer_required = _require(roles.can_write_master_data)
admin_required = _require(roles.is_admin)


def may_start_export(user) -> bool:
    """The Reports page's "Start export": analysts and admins start any export, a supplier
    user its own supplier's PDF report card, a viewer none (``reports.services
    .report_access_refusal`` is the rule; the view refuses with 403 what the page hides)."""
    if roles.is_supplier_user(user):
        return may_request_report(user, format=ReportFormat.PDF, supplier=visible_suppliers(user).first())
    return may_request_report(user, format=ReportFormat.XLSX, supplier=None)


def may_request_card(user, supplier) -> bool:
    """The supplier page's "PDF report card" button (``reports.services.report_access_refusal``)."""
    return may_request_report(user, format=ReportFormat.PDF, supplier=supplier)


def supplier_for(user, code: str):
    """The supplier ``code`` if the user may see it; 404 otherwise (never 403)."""
    return get_object_or_404(visible_suppliers(user), code=code)

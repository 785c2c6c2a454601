"""Reads of supplier data, scoped to what a user may see."""

from __future__ import annotations

import pandas as pd
from django.db.models import QuerySet

from core import roles
from core.frames import read_frame
from core.quarter import Quarter
from suppliers.models import FxRate, SpendRecord, Supplier


def supplier_id_of(user) -> int | None:
    """The supplier a supplier user belongs to (None for everyone else)."""
    if not roles.is_supplier_user(user):
        return None
    cached = getattr(user, "_esg_supplier_id", "unset")
    if cached == "unset":
        membership = getattr(user, "supplier_membership", None)
        cached = membership.supplier_id if membership else None
        user._esg_supplier_id = cached
    return cached


def visible_suppliers(user) -> QuerySet[Supplier]:
    """The one scoping rule: procurement roles see every supplier, a supplier user only
    its own, anyone else nothing."""
    if roles.is_procurement(user):
        return Supplier.objects.all()
    supplier_id = supplier_id_of(user)
    if supplier_id is None:
        return Supplier.objects.none()
    return Supplier.objects.filter(pk=supplier_id)


def can_act_for_supplier(user, supplier) -> bool:
    """Supplier-side writes (submissions, uploads, CAPs, questionnaire): the supplier's own
    users and procurement writers acting for them."""
    if roles.can_write_master_data(user):
        return True
    return roles.is_supplier_user(user) and supplier_id_of(user) == supplier.pk


def scope_to_user(queryset: QuerySet, user, supplier_path: str) -> QuerySet:
    """Restrict any queryset to rows of suppliers the user may see.

    ``supplier_path`` is the lookup from the model to ``Supplier`` (``"supplier"``,
    ``"site__supplier"``, or ``""`` for the Supplier model itself).
    """
    if roles.is_procurement(user):
        return queryset
    supplier_id = supplier_id_of(user)
    if supplier_id is None:
        return queryset.none()
    lookup = f"{supplier_path}_id" if supplier_path else "pk"
    return queryset.filter(**{lookup: supplier_id})


def spend_frame(quarter: Quarter) -> pd.DataFrame:
    """Spend rows of the four quarters ending with ``quarter``, one query."""
    ordinals = {str(q): q.ordinal for q in quarter.window(4)}
    rows = SpendRecord.objects.filter(quarter__in=list(ordinals)).values_list(
        "supplier_id", "supplier__code", "quarter", "currency", "amount"
    )
    return read_frame(rows, [
        ("supplier_id", "int64"), ("supplier_code", "str"),
        ("quarter_ordinal", lambda quarters: quarters.map(ordinals).astype("int64")),
        ("currency", "str"), ("amount", "decimal"),
    ])


def fx_frame(quarter: Quarter) -> pd.DataFrame:
    """FX rates of the four quarters ending with ``quarter``, one query."""
    ordinals = {str(q): q.ordinal for q in quarter.window(4)}
    rows = FxRate.objects.filter(quarter__in=list(ordinals)).values_list("quarter", "currency", "rate_to_base")
    return read_frame(rows, [
        ("quarter_ordinal", lambda quarters: quarters.map(ordinals).astype("int64")),
        ("currency", "str"), ("rate_to_base", "decimal"),
    ])


NEUTRAL_STATUS_REASON = "Status changed by procurement."


def status_changes_for(user, supplier: Supplier, *, limit: int | None = None) -> list:
    """The supplier's status changes, newest first. A supplier user gets them without the
    procurement user's name and with a neutral reason (``roles.sees_internal_data``); the
    rows are never saved."""
    changes = list(supplier.status_changes.all()[:limit] if limit else supplier.status_changes.all())
    if not roles.sees_internal_data(user):
        for change in changes:
            change.changed_by, change.changed_by_label, change.reason = None, "", NEUTRAL_STATUS_REASON
    return changes

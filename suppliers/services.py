"""Writes and computations on supplier data."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from core.history import actor_fields, stamp
from core.quarter import Quarter
from suppliers import selectors, spend
from suppliers.models import Supplier, SupplierStatus, SupplierStatusChange

ALLOWED_STATUS_CHANGES = {
    SupplierStatus.CANDIDATE: {SupplierStatus.ACTIVE, SupplierStatus.TERMINATED},
    SupplierStatus.ACTIVE: {SupplierStatus.SUSPENDED, SupplierStatus.TERMINATED},
    SupplierStatus.SUSPENDED: {SupplierStatus.ACTIVE, SupplierStatus.TERMINATED},
    SupplierStatus.TERMINATED: set(),
}


def status_change_error(old: str, new: str) -> str | None:
    """Why ``old`` → ``new`` is refused, or None when it is allowed."""
    if old == new:
        return None
    if new not in ALLOWED_STATUS_CHANGES.get(old, set()):
        allowed = ", ".join(sorted(ALLOWED_STATUS_CHANGES.get(old, set()))) or "none (final)"
        return f"a {old} supplier cannot become {new}; allowed: {allowed}"
    return None


@transaction.atomic
def supplier_change_status(*, supplier: Supplier, status: str, actor, reason: str = "") -> Supplier:
    error = status_change_error(supplier.status, status)
    if error is None and supplier.status == SupplierStatus.CANDIDATE and status == SupplierStatus.ACTIVE:
        # Policy: a candidate is screened before it becomes active (portal onboarding screening).
        from portal.services import activation_error

        error = activation_error(supplier)
    if error:
        raise ValidationError({"status": str(error)})
    if supplier.status == status:
        return supplier
    old = supplier.status
    supplier.status = status
    stamp(supplier, actor=actor, reason=reason).save(update_fields=["status", "updated_at"])
    record_status_changes(changes=[(supplier, old, status)], actor=actor, reason=reason)
    return supplier


def record_status_changes(*, changes: list[tuple[Supplier, str, str]], actor, reason: str = "") -> None:
    """Store who/when/why for status changes already applied (bulk: imports use it too)."""
    who = actor_fields(actor)
    SupplierStatusChange.objects.bulk_create(
        [
            SupplierStatusChange(supplier=supplier, from_status=old, to_status=new, changed_by=who["actor"],
                                 changed_by_label=who["actor_label"], reason=reason)
            for supplier, old, new in changes
        ],
        batch_size=2000,
    )


def population_for_quarter(*, quarter: Quarter, target: Decimal | None = None,
                           base_currency: str | None = None) -> pd.DataFrame:
    """The scored suppliers of ``quarter`` with basis and population (scorecard.md §2).

    Two queries (spend window, FX window); raises ``spend.MissingFxRates``.
    """
    basis = spend.spend_basis(
        selectors.spend_frame(quarter), selectors.fx_frame(quarter), quarter,
        base_currency or settings.BASE_CURRENCY,
    )
    return spend.assign_populations(basis, settings.COVERAGE_TARGET if target is None else target)


TERMINATED_READ_ONLY = ("This supplier is terminated: its users can still read its records but no longer upload "
                        "or submit.")


def ensure_supplier_user_may_submit(*, actor, supplier: Supplier | None = None, supplier_id: int | None = None) -> None:
    """A supplier user of a terminated supplier keeps read access but can no longer upload
    or submit anything (documents, indicator values, CAPs and their evidence): raises
    ``PermissionDenied``. Other roles and other supplier statuses pass (docs/security.md)."""
    from django.core.exceptions import PermissionDenied

    from core import roles

    if not roles.is_supplier_user(actor):
        return
    status = supplier.status if supplier is not None else (
        Supplier.objects.filter(pk=supplier_id).values_list("status", flat=True).first())
    if status == SupplierStatus.TERMINATED:
        raise PermissionDenied(TERMINATED_READ_ONLY)

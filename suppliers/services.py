"""Writes and computations on supplier data."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import roles
from core.history import actor_fields, stamp
from core.quarter import Quarter
from suppliers import selectors, spend
from suppliers.models import Supplier, SupplierStatus, SupplierStatusChange
from suppliers.screening import activation_error

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
    """Move ``supplier`` to ``status`` if ``ALLOWED_STATUS_CHANGES`` allows it and, for a
    candidate becoming active, its screening allows activation (``suppliers.screening``).
    Raises ``ValidationError({"status": ...})``; records who/when/why."""
    error = status_change_error(supplier.status, status)
    if error is None and supplier.status == SupplierStatus.CANDIDATE and status == SupplierStatus.ACTIVE:
        # Policy: a candidate is screened before it becomes active (suppliers.screening).
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


@transaction.atomic
def supplier_status_change(*, supplier: Supplier, status: str, actor, reason: str) -> Supplier:
    """``supplier_change_status`` for a person (portal, API): procurement writers only
    (``PermissionDenied``), and a reason is required (``ValidationError({"reason": ...})``)."""
    if not roles.can_write_master_data(actor):
        raise PermissionDenied("Only procurement can change a supplier's status.")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the status changes.")})
    return supplier_change_status(supplier=supplier, status=status, actor=actor, reason=reason)


@transaction.atomic
def supplier_set_owner(*, supplier: Supplier, owner, actor, reason: str = "") -> Supplier:
    """Make ``owner`` (a user, or ``None`` for nobody) the supplier's category manager.
    Procurement writers only (``PermissionDenied``); the owner must be an active analyst or
    admin (``core.roles.may_own_suppliers``, else ``ValidationError({"owner": ...})``).
    Recorded in the supplier's history with who, when and the reason."""
    if not roles.can_write_master_data(actor):
        raise PermissionDenied(_("Only procurement analysts and administrators assign supplier owners."))
    if owner is not None and not roles.may_own_suppliers(owner):
        raise ValidationError({"owner": _("A supplier owner is an active procurement analyst or administrator.")})
    old = supplier.owner
    if (old.pk if old else None) == (owner.pk if owner else None):
        return supplier
    supplier.owner = owner
    stamp(supplier, actor=actor, reason=reason).save(update_fields=["owner", "updated_at"])
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


def fx_rate_error(currency: str, rate_to_base: Decimal) -> str | None:
    """Why an FX rate row cannot be stored, or None. The base currency converts at 1 by
    definition (``spend.spend_basis`` never reads its row), so any other rate for it would be
    stored and silently ignored: refused, in imports and the API alike."""
    if currency == settings.BASE_CURRENCY and rate_to_base != 1:
        return f"{currency} is the base currency: its rate_to_base is 1, not {Decimal(rate_to_base).normalize():f}"
    return None


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


@transaction.atomic
def supplier_set_identifier(*, supplier: Supplier, field: str, value: str, actor, reason: str = "") -> Supplier:
    """Give ``supplier`` its ``field`` identifier (``lei``, ``duns``, ``ecovadis_id`` or
    ``cdp_account``; parsed by ``suppliers.identifiers``), recorded in the supplier's history
    with ``reason``. Setting the value it already has changes nothing. Raises
    ``ValidationError({field: ...})`` for a malformed value, a value another supplier holds,
    or when the supplier already has a different one (an identifier is never overwritten
    silently: edit the supplier to change it)."""
    from core.parsers import CellError
    from suppliers import identifiers

    try:
        parsed = identifiers.PARSERS[field](value)
    except CellError as exc:
        raise ValidationError({field: str(exc)}) from exc
    current = getattr(supplier, field)
    if current == parsed:
        return supplier
    label = identifiers.IDENTIFIER_LABELS[field]
    if current:
        raise ValidationError({field: f"supplier {supplier.code} already has the {label} {current}"})
    owner = Supplier.objects.filter(**{field: parsed}).exclude(pk=supplier.pk).values_list("code", flat=True).first()
    if owner:
        raise ValidationError({field: f"{parsed} is already the {label} of supplier {owner}"})
    setattr(supplier, field, parsed)
    stamp(supplier, actor=actor, reason=reason).save(update_fields=[field, "updated_at"])
    return supplier

"""Writes and computations on supplier data."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import roles
from core.history import actor_fields, history_context, record_bulk_history, stamp
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
    suppliers_set_owner(supplier_ids=[supplier.pk], owner=owner, actor=actor, reason=reason)
    supplier.owner = owner
    return supplier


BULK_OWNER_LIMIT = 1000


@transaction.atomic
def suppliers_set_owner(*, supplier_ids, owner, actor, reason: str = "") -> list[Supplier]:
    """``supplier_set_owner`` for many suppliers at once (the supplier list's "assign
    owner"): the same checks, one history row per supplier whose owner changes (with who,
    when and the reason), a fixed number of queries. All or nothing: ``ValidationError``
    keyed ``suppliers`` when nothing (or more than ``BULK_OWNER_LIMIT``) is selected or an
    id is unknown, ``owner`` when the owner may not own suppliers. Returns the suppliers
    whose owner changed."""
    if not roles.can_write_master_data(actor):
        raise PermissionDenied(_("Only procurement analysts and administrators assign supplier owners."))
    if owner is not None and not roles.may_own_suppliers(owner):
        raise ValidationError({"owner": _("A supplier owner is an active procurement analyst or administrator.")})
    ids = list(dict.fromkeys(supplier_ids))
    if not ids:
        raise ValidationError({"suppliers": _("Select at least one supplier.")})
    if len(ids) > BULK_OWNER_LIMIT:
        raise ValidationError({"suppliers": _("Select at most %(limit)d suppliers at once.") % {
            "limit": BULK_OWNER_LIMIT}})
    suppliers = list(Supplier.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(suppliers) < len(ids):
        raise ValidationError({"suppliers": _("Some selected suppliers do not exist; nothing was changed.")})
    owner_id = owner.pk if owner is not None else None
    changed = [supplier for supplier in suppliers if supplier.owner_id != owner_id]
    if not changed:
        return []
    now = timezone.now()
    for supplier in changed:
        supplier.owner, supplier.updated_at = owner, now
    Supplier.objects.filter(pk__in=[s.pk for s in changed]).update(owner=owner, updated_at=now)
    with history_context(user=actor, reason=reason or None):
        record_bulk_history(Supplier, changed, updated=True)
    return changed


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
    errors = identifiers.assignment_errors([(0, supplier.code, {field: parsed})])
    if errors:
        raise ValidationError({field: errors[0][2]})
    setattr(supplier, field, parsed)
    stamp(supplier, actor=actor, reason=reason).save(update_fields=[field, "updated_at"])
    return supplier

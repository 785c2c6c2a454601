"""Writes for disclosure: a supplier's consent to appear on the public supplier list."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from core.history import stamp
from suppliers.models import Supplier


@transaction.atomic
def supplier_set_publishable(*, supplier: Supplier, publishable: bool, actor, reason: str) -> Supplier:
    """Mark a supplier as allowed (or not) on the public supplier list (scorecard.md
    section 10), recording who, when and why. A reason is required; setting the current
    value again changes and records nothing. Raises ``ValidationError`` ({"reason": …})."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "a reason is required"})
    if supplier.publishable == publishable:
        return supplier
    supplier.publishable = publishable
    stamp(supplier, actor=actor, reason=reason).save(update_fields=["publishable", "updated_at"])
    return supplier

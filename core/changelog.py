"""Recording changes: one helper so every service writes the same shape."""

from __future__ import annotations

from collections.abc import Iterable

from core.models import ChangeLogEntry


def actor_fields(actor) -> dict:
    """``actor`` is a user or a label such as ``"import_suppliers"``."""
    if actor is None:
        return {"actor": None, "actor_label": "system"}
    if isinstance(actor, str):
        return {"actor": None, "actor_label": actor}
    return {"actor": actor, "actor_label": actor.get_username()}


def record_change(*, actor, entity_type: str, entity_id, action: str, changes: dict | None = None,
                  reason: str = "") -> ChangeLogEntry:
    return ChangeLogEntry.objects.create(
        **actor_fields(actor), entity_type=entity_type, entity_id=str(entity_id), action=action,
        changes=changes or {}, reason=reason,
    )


def record_changes(*, actor, entries: Iterable[tuple[str, object, str, dict]], reason: str = "") -> int:
    """Bulk form: ``entries`` of (entity_type, entity_id, action, changes)."""
    who = actor_fields(actor)
    rows = [
        ChangeLogEntry(**who, entity_type=t, entity_id=str(i), action=a, changes=c, reason=reason)
        for t, i, a, c in entries
    ]
    ChangeLogEntry.objects.bulk_create(rows, batch_size=2000)
    return len(rows)

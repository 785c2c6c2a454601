"""Change history that no path can skip, on django-simple-history.

Every tracked model declares ``history = tracked_history()``: each create, update and delete
made through any path (API, portal, admin, import, task, shell) writes a historical row with
the full record (old and new values come from consecutive rows), ``history_date`` (when),
``history_user`` (who), ``history_change_reason`` (the workflow's reason, when there is one)
and ``channel`` (through which door: ``api``, ``portal``, ``admin``, ``import:<file name>``,
``task:<task name>``, ``command:<name>`` or ``system``).

The channel and the acting user come from a context: ``HistoryMiddleware`` sets it for web
requests, the Celery signals below for tasks, ``history_context`` for imports and commands.
Bulk writes (imports) record their rows with ``record_bulk_history``: one query per batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

CHANNEL_MAX_LENGTH = 200


@dataclass(frozen=True)
class _State:
    channel: str = "system"
    user: Any = None
    reason: str = ""
    request: Any = None


_STATE: ContextVar[_State] = ContextVar("history_state", default=_State())  # noqa: B039 (frozen)


@contextmanager
def history_context(*, channel: str | None = None, user=None, reason: str | None = None,
                    request=None) -> Iterator[None]:
    """Within the block, historical rows carry ``channel``, ``user`` (a user; a label string
    is ignored: the channel names non-human actors) and ``reason``. Unset arguments keep the
    enclosing context's values; contexts nest."""
    changes: dict[str, Any] = {}
    if channel is not None:
        changes["channel"] = channel[:CHANNEL_MAX_LENGTH]
    if user is not None and not isinstance(user, str):
        changes["user"] = user
    if reason is not None:
        changes["reason"] = reason
    if request is not None:
        changes["request"] = request
    token = _STATE.set(replace(_STATE.get(), **changes))
    try:
        yield
    finally:
        _STATE.reset(token)


def current_channel() -> str:
    return _STATE.get().channel


def history_user(instance=None, request=None, **kwargs):
    """``get_user`` of every tracked model: the context's user, else the authenticated user of
    the current request (for the API, the user DRF authenticated), else ``None``."""
    state = _STATE.get()
    if state.user is not None:
        return state.user
    user = getattr(state.request, "user", None) or getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def tracked_history(**kwargs) -> HistoricalRecords:
    """The ``history`` attribute of every tracked model (historical table ``<app>_historical<model>``
    with a ``channel`` column)."""
    from core.models import HistoryChannel

    return HistoricalRecords(bases=[HistoryChannel], get_user=history_user, **kwargs)


@receiver(pre_create_historical_record)
def _stamp_channel(sender, history_instance, **kwargs) -> None:
    state = _STATE.get()
    history_instance.channel = state.channel
    if not history_instance.history_change_reason and state.reason:
        history_instance.history_change_reason = state.reason


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def bulk_stamp() -> dict:
    """What every history row written in bulk is stamped with, from the current context:
    ``{"user", "reason", "channel", "date"}`` (the date is now). Used by ``record_bulk_history``
    and the COPY loader (``core.bulk_upsert``) so both stamp alike."""
    state = _STATE.get()
    return {"user": history_user(), "reason": state.reason, "channel": state.channel, "date": timezone.now()}


def record_bulk_history(model, instances: Iterable, *, updated: bool = False, batch_size: int = 5000) -> int:
    """Record one historical row per instance already written in bulk (``bulk_create``,
    ``bulk_update`` or COPY), stamped with the context's user, channel and reason.

    ``instances`` must be complete (primary key and every tracked field set): the row is a
    snapshot. ``updated`` marks changes (``~``) rather than creations (``+``). One insert per
    ``batch_size`` rows; returns the number of rows recorded. The single bulk path: imports
    and any COPY loader use it so their history matches a save() made through the admin.
    """
    stamp = bulk_stamp()
    recorded = 0
    # Built and inserted a batch at a time: a million-row import never holds a million
    # historical objects at once.
    for batch in batched(instances, batch_size):
        model.history.bulk_history_create(
            batch, batch_size=batch_size, update=updated, default_user=stamp["user"], default_date=timezone.now(),
            default_change_reason=stamp["reason"], custom_historical_attrs={"channel": stamp["channel"]},
        )
        recorded += len(batch)
    return recorded


# --- the doors ----------------------------------------------------------------------------

def channel_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "portal"


class HistoryMiddleware:
    """Web requests: the channel from the URL (``api``, ``admin`` or ``portal``) and the request,
    whose user is read when a row is written (DRF authenticates tokens inside the view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with history_context(channel=channel_for_path(request.path), request=request):
            return self.get_response(request)


_task_tokens: dict[str, Any] = {}


@task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs) -> None:
    _task_tokens[task_id] = _STATE.set(replace(_STATE.get(), channel=f"task:{task.name}"[:CHANNEL_MAX_LENGTH]))


@task_postrun.connect
def _task_finished(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        # Reset from another context fails: the worker's next task sets its own channel.
        with suppress(ValueError):
            _STATE.reset(token)


def entity_name(model) -> str:
    """``CorrectiveAction`` → ``corrective_action``: the name the changes API uses."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def actor_fields(actor) -> dict:
    """``actor`` is a user, a label such as ``"import_suppliers"`` or ``None`` (the system):
    ``{"actor": user or None, "actor_label": name}`` for the models' own who-columns."""
    if actor is None:
        return {"actor": None, "actor_label": "system"}
    if isinstance(actor, str):
        return {"actor": None, "actor_label": actor}
    return {"actor": actor, "actor_label": actor.get_username()}


def stamp(instance, *, actor=None, reason: str = ""):
    """Before ``save()``/``delete()``: the historical row names ``actor`` (when a user) and
    carries ``reason`` (the workflow's note). Returns ``instance``."""
    if actor is not None and not isinstance(actor, str):
        instance._history_user = actor
    if reason:
        instance._change_reason = reason
    return instance


# --- reading the history ---------------------------------------------------------------------

HISTORY_TYPES = {"+": "created", "~": "updated", "-": "deleted"}
# Bookkeeping columns whose change says nothing by itself.
UNREPORTED_FIELDS = {"updated_at"}


def tracked_models() -> dict[str, type]:
    """Entity name (``entity_name``) → every model that has a history, by name."""
    from simple_history.models import registered_models

    return dict(sorted((entity_name(model), model) for model in registered_models.values()))


def natural_key_field(model) -> str | None:
    """The single unique text field that names an object (``code``, ``audit_ref``,
    ``finding_ref``, ``version``, ``severity``), or ``None`` (objects are named by id)."""
    for field in model._meta.concrete_fields:
        if field.unique and not field.primary_key and field.get_internal_type() == "CharField":
            return field.name
    return None


def history_rows(model, *, object_key: str | None = None, since=None):
    """Historical rows of ``model`` (newest first): of one object when ``object_key`` is
    given (its id, or its natural key, which also finds deleted objects), changed at or after
    ``since`` (an aware datetime) when given."""
    rows = model.history.select_related("history_user").order_by("-history_date", "-history_id")
    if object_key:
        key = natural_key_field(model)
        match = Q(**{key: object_key}) if key else Q(pk__in=[])
        if object_key.isdigit():
            match |= Q(id=int(object_key))
        rows = rows.filter(match)
    if since is not None:
        rows = rows.filter(history_date__gte=since)
    return rows


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def describe(model, rows) -> list[dict]:
    """Each historical row as ``{entity, object_id, object, action, at, user, channel, reason,
    changes}``; ``changes`` maps each field that differs from the object's previous row to
    ``[old, new]`` (a creation: ``[None, value]`` for every set field). The previous rows of
    all the given objects come in one query."""
    rows = list(rows)
    if not rows:
        return []
    history = model.history.model
    fields = [f for f in history.tracked_fields if f.attname not in UNREPORTED_FIELDS]
    names = [f.attname for f in fields]
    latest = max(row.history_date for row in rows)
    sequences: dict[int, list] = {}
    for earlier in (history.objects.filter(id__in={row.id for row in rows}, history_date__lte=latest)
                    .order_by("history_date", "history_id").values("history_id", "id", *names)):
        sequences.setdefault(earlier["id"], []).append(earlier)
    key = natural_key_field(model)
    entity = entity_name(model)
    described = []
    for row in rows:
        sequence = sequences.get(row.id, [])
        position = next((i for i, item in enumerate(sequence) if item["history_id"] == row.history_id), 0)
        before = sequence[position - 1] if position > 0 else None
        changes = {}
        if row.history_type != "-":
            for field in fields:
                new = getattr(row, field.attname)
                old = before[field.attname] if before else None
                if before is None and new in (None, ""):
                    continue
                if before is None or old != new:
                    changes[field.name] = [_plain(old), _plain(new)]
        described.append({
            "entity": entity, "object_id": row.id, "object": getattr(row, key) if key else str(row.id),
            "action": HISTORY_TYPES.get(row.history_type, row.history_type), "at": row.history_date,
            "user": row.history_user.get_username() if row.history_user else None,
            "channel": row.channel, "reason": row.history_change_reason or "", "changes": changes,
        })
    return described

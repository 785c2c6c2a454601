"""The lifecycle of every long job (score runs, reports, reminder batches, API imports).

A job is a row with ``status`` (``queued`` → ``running`` → ``succeeded`` / ``failed`` /
``cancelled``), ``task_id``, ``attempts``, ``sent_at``, ``started_at``, ``finished_at``,
``lease_expires_at`` and ``error``. This module knows no domain model: an app registers
its model and Celery task once (``register``) and calls these functions.

The rules (docs/reliability.md):

- **Claim with a lease.** ``claim`` turns a ``queued`` job ``running`` with a lease of
  ``JOB_LEASE_SECONDS``; a ``running`` job is claimable again when its lease expired (its
  worker is gone) or by the same Celery task id (a redelivered or retried message resumes
  its own job instead of being refused). Every time is the database's clock (``Now()``),
  so web and worker machines with different clocks agree.
- **Heartbeat.** While the body runs, ``lease`` renews the lease from a thread every third
  of the lease; a job whose lease is no longer renewed (process killed) is reclaimed by the
  sweep after at most one lease.
- **Progress.** The body reports ``advance(done, total)`` (cheap: memory only); the heartbeat
  thread writes the numbers (``progress_done``, ``progress_total`` and, where the model has
  it, the percentage ``progress``) at most every ``JOB_PROGRESS_SECONDS`` and only when they
  changed, in the same UPDATE that renews the lease: no query per row, and its own
  connection, so a body inside a long transaction does not hide it. ``progress_of`` reads
  them back as "n of N (p%)"; a job that succeeds ends at N of N.
- **Enqueue after commit; the broker may be down.** ``send_on_commit`` publishes once the
  row is committed; a publish that fails leaves the job ``queued`` with no ``sent_at``.
- **Sweep** (``sweep``, beat every minute): running jobs whose lease expired are put back
  in the queue (or failed after ``JOB_MAX_ATTEMPTS`` attempts); queued jobs not sent, or
  sent more than ``JOB_RESEND_AFTER_SECONDS`` ago and still unclaimed, are (re-)sent.
  Duplicate messages are harmless: the claim lets one of them run the job.
- **Cancel / retry** are recorded in the change log (``cancel``, ``retry``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Now

from core.history import history_context, record_bulk_history

logger = logging.getLogger(__name__)

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = "queued", "running", "succeeded", "failed", "cancelled"
ACTIVE = (QUEUED, RUNNING)
DONE = (SUCCEEDED, FAILED, CANCELLED)


def lease_seconds() -> int:
    """How long a claim lasts without a heartbeat (``JOB_LEASE_SECONDS``, default 120 s)."""
    return int(getattr(settings, "JOB_LEASE_SECONDS", 120))


def resend_after_seconds() -> int:
    """How long a queued job may wait unclaimed before the sweep sends it again."""
    return int(getattr(settings, "JOB_RESEND_AFTER_SECONDS", 60))


def max_attempts() -> int:
    """Claims after which a job whose worker keeps dying is failed instead of requeued."""
    return int(getattr(settings, "JOB_MAX_ATTEMPTS", 5))


def progress_seconds() -> float:
    """How often at most a running job's progress is written (``JOB_PROGRESS_SECONDS``,
    default 1 s); 0 writes it only with the lease's renewal."""
    return float(getattr(settings, "JOB_PROGRESS_SECONDS", 1.0))


def _lease_expired() -> Q:
    """A running job's lease has expired (or it never had one: a row from before leases)."""
    return Q(lease_expires_at__lt=Now()) | Q(lease_expires_at__isnull=True)


def _in(seconds: float):
    """``Now() + seconds`` on the database clock."""
    return models.ExpressionWrapper(Now() + dt.timedelta(seconds=seconds), output_field=models.DateTimeField())


class JobCancelled(Exception):
    """The job was cancelled (or reclaimed by another worker) while this process ran it."""


@dataclass(frozen=True)
class JobKind:
    """A registered kind of job: its model, the Celery task that runs one (called with
    the job's primary key), and what to do when the sweep fails a job for good."""

    name: str
    model: type[models.Model]
    task: str = ""
    entity_type: str = ""
    on_failed: Callable[[int], None] | None = None
    extra: dict = field(default_factory=dict)


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Register a kind (idempotent: the latest registration of a name wins)."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> list[JobKind]:
    return list(_KINDS.values())


def kind_of(model: type[models.Model]) -> JobKind:
    for kind in _KINDS.values():
        if kind.model is model:
            return kind
    raise LookupError(f"{model.__name__} is not a registered job model")


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    """Work done of a job: ``done`` of ``total`` units (the unit is the job's: steps of a
    recalculation, rows or cards of an export), ``percent`` 0–100 rounded down."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else 0

    def as_dict(self) -> dict:
        return {"done": self.done, "total": self.total, "percent": self.percent}


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)


def _tracks_progress(model: type[models.Model]) -> bool:
    return _has_field(model, "progress_done") and _has_field(model, "progress_total")


def progress_of(job) -> Progress | None:
    """The job's recorded progress, ``None`` before its body reported a total."""
    total = getattr(job, "progress_total", None)
    if not total:
        return None
    return Progress(max(0, min(getattr(job, "progress_done", 0) or 0, total)), total)


def progress_fields(model: type[models.Model], done: int, total: int) -> dict:
    """The columns that record ``done`` of ``total`` on ``model`` (empty when it keeps none);
    the percentage column, where there is one, stays below 100 until the job succeeds."""
    if not _tracks_progress(model):
        return {}
    fields = {"progress_done": max(0, min(done, total)), "progress_total": total}
    if _has_field(model, "progress"):
        fields["progress"] = min(Progress(fields["progress_done"], total).percent, 99)
    return fields


# --------------------------------------------------------------------------- enqueue


def send(kind: JobKind, pk: int) -> bool:
    """Publish the job's task now. ``False`` (logged, nothing raised) when the broker cannot
    be reached: the job stays ``queued`` without ``sent_at`` and the sweep sends it later."""
    from celery import current_app as app  # the project app (config/__init__.py loads it)

    if kind.task not in app.tasks:
        app.loader.import_default_modules()  # the tasks modules are discovered lazily
    task = app.tasks[kind.task]
    if app.conf.task_always_eager:  # no broker (laptop, tests): the task runs here and now
        task.apply_async(args=[pk])
        return True
    try:
        result = task.apply_async(args=[pk])
    except Exception as exc:  # kombu raises several types for an unreachable broker
        logger.warning("%s %s recorded but not sent (broker unavailable: %s); the sweep will send it",
                       kind.name, pk, exc)
        return False
    kind.model.objects.filter(pk=pk, status=QUEUED).update(sent_at=Now(), task_id=result.id or "")
    return True


def send_on_commit(kind: JobKind, pk: int) -> None:
    """Publish the job's task once the surrounding transaction has committed."""
    transaction.on_commit(lambda: send(kind, pk))


def create_or_reuse(create: Callable[[], models.Model], active: Callable[[], models.Model | None], *,
                    attempts: int = 3) -> models.Model | None:
    """A new job, or the identical one already queued or running: one job per request, the
    second request answered with the first (docs/reliability.md, "One active run per
    quarter"; identical reports).

    ``create()`` inserts the job in its own savepoint; a partial unique constraint on the
    model's active jobs makes it raise ``IntegrityError`` when an identical job is active
    (a constraint, not a check-then-insert, so two requests at once cannot both create).
    Then ``active()`` returns that job, marked ``reused = True``; a new job is marked
    ``reused = False``. When the active job finished between the two (``active()`` is
    ``None``), creating is tried again, ``attempts`` times in all; ``None`` when every
    attempt lost that race (the caller refuses). Whether a reused job answers the request
    is the caller's rule (a recalculation with another methodology is refused)."""
    for _attempt in range(attempts):
        try:
            with transaction.atomic():
                job = create()
        except IntegrityError:
            job = active()
            if job is None:  # it finished in the meantime: try again
                continue
            job.reused = True
            return job
        job.reused = False
        return job
    return None


def enqueue(kind: JobKind, create: Callable[[], models.Model]) -> models.Model:
    """``create()`` (a service returning a job marked ``reused``, ``create_or_reuse``) in a
    transaction, the new job's task sent once it has committed (a reused job is already
    queued or running). A broker that cannot be reached does not fail the request: the job
    stays queued and the sweep sends it. Returns the job reloaded, ``reused`` kept."""
    with transaction.atomic():
        job = create()
        if not job.reused:
            send_on_commit(kind, job.pk)
    reused = job.reused
    job.refresh_from_db()
    job.reused = reused
    return job


# --------------------------------------------------------------------------- run


def claim(model: type[models.Model], pk: int, *, task_id: str = "") -> bool:
    """Make the job ``running`` with a fresh lease; ``False`` when it is done, gone, or
    running under a live lease held by another task."""
    claimable = Q(status=QUEUED) | (Q(status=RUNNING) & _lease_expired())
    if task_id:
        claimable |= Q(status=RUNNING, task_id=task_id)
    values = {"status": RUNNING, "started_at": Now(), "lease_expires_at": _in(lease_seconds()),
              "attempts": F("attempts") + 1, "error": "", "finished_at": None}
    if _tracks_progress(model):  # a resumed job counts again from its start
        values.update(progress_done=0, progress_total=None)
    if task_id:
        values["task_id"] = task_id
    return bool(model.objects.filter(pk=pk).filter(claimable).update(**values))


def renew(model: type[models.Model], pk: int, **fields) -> bool:
    """Extend the lease of a running job (and write ``fields``, e.g. progress); ``False``
    when the job is no longer running (cancelled, or reclaimed and finished elsewhere)."""
    return bool(model.objects.filter(pk=pk, status=RUNNING).update(lease_expires_at=_in(lease_seconds()), **fields))


def finish(model: type[models.Model], pk: int, status: str, **fields) -> bool:
    """Record the outcome of a running job and drop its lease. ``False`` when the job was
    not running any more (an admin cancelled it meanwhile): nothing is overwritten. A job
    that succeeds records all its work done (``progress_done = progress_total``, or the
    lease's ``finished_fields()`` passed in)."""
    if status == SUCCEEDED and _tracks_progress(model):
        fields.setdefault("progress_done", Coalesce(F("progress_total"), models.Value(0)))
    return bool(model.objects.filter(pk=pk, status=RUNNING).update(
        status=status, finished_at=Now(), lease_expires_at=None, **fields))


def requeue(model: type[models.Model], pk: int, *, error: str = "") -> bool:
    """Put a running job back in the queue (its lease dropped)."""
    return bool(model.objects.filter(pk=pk, status=RUNNING).update(
        status=QUEUED, lease_expires_at=None, sent_at=None, error=error))


class Lease:
    """Keeps a claimed job's lease alive from a thread while its body runs, and writes the
    progress the body reports with ``advance``.

    ``checkpoint(step)`` is called by the body between steps: it raises ``JobCancelled``
    once the job stopped being ``running`` (cancelled by an admin), and is where the
    reliability tests pause a worker (``JOB_PAUSE_AT`` / ``JOB_PAUSE_FILE`` environment
    variables of a worker process: when the step matches, the file is written and the
    process waits there until it is killed)."""

    def __init__(self, model: type[models.Model], pk: int, interval: float | None = None,
                 progress_interval: float | None = None):
        self.model, self.pk = model, pk
        self.interval = interval if interval is not None else max(lease_seconds() / 3, 0.5)
        every = progress_interval if progress_interval is not None else progress_seconds()
        self.tick = min(self.interval, every) if every > 0 else self.interval
        self.done: int = 0
        self.total: int | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{model.__name__}-{pk}", daemon=True)

    def advance(self, done: int, total: int | None = None) -> None:
        """Record ``done`` units of ``total`` (kept when omitted); written by the next beat."""
        if total is not None:
            self.total = total
        self.done = done

    def finished_fields(self) -> dict:
        """For ``finish`` of a job that succeeded: all its reported work done (N of N)."""
        if not self.total or not _tracks_progress(self.model):
            return {}
        return {"progress_done": self.total, "progress_total": self.total}

    def _beat(self) -> None:
        written: tuple | None = None
        renewed = time.monotonic()
        try:
            while not self._stop.wait(self.tick):
                current = (self.done, self.total)
                changed = self.total is not None and current != written
                if not changed and time.monotonic() - renewed < self.interval - 0.01:
                    continue
                fields = progress_fields(self.model, *current) if changed else {}
                try:
                    if not renew(self.model, self.pk, **fields):
                        self.lost = True
                        return
                    written, renewed = current, time.monotonic()
                except Exception:  # a database blip: the next beat tries again
                    logger.warning("lease of %s %s not renewed", self.model.__name__, self.pk, exc_info=True)
                    close_old_connections()
        finally:
            connection.close()

    def start(self) -> Lease:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def checkpoint(self, step: str) -> None:
        """Between two steps of the body: stop when the job is no longer ours."""
        _pause_for_tests(step)
        if self.lost:
            raise JobCancelled(f"{self.model.__name__} {self.pk} is no longer running")


@contextlib.contextmanager
def lease(model: type[models.Model], pk: int) -> Iterator[Lease]:
    """``with lease(Model, pk) as job:`` renew the lease while the block runs."""
    keeper = Lease(model, pk).start()
    try:
        yield keeper
    finally:
        keeper.stop()


def _pause_for_tests(step: str) -> None:
    if not os.environ.get("JOB_PAUSE_AT") or os.environ["JOB_PAUSE_AT"] != step:
        return
    marker = os.environ.get("JOB_PAUSE_FILE")
    if marker:
        with open(marker, "w") as handle:
            handle.write(f"{os.getpid()} {step}\n")
    while True:  # the test kills this process here
        time.sleep(1)


@contextlib.contextmanager
def tracked(kind: str, *, label: str = "", actor=None) -> Iterator:
    """Track work that runs in this process (a reminder batch, an API import) as a
    ``core.models.Job``: ``running`` with a lease while the block runs, then ``succeeded``
    (with ``job.counts`` as set by the block) or ``failed`` with the exception. A process
    killed meanwhile leaves a lease that expires; the sweep then records it failed. The
    row is written outside the caller's transaction only if the caller has none open."""
    from core.history import actor_fields
    from core.models import Job

    who = actor_fields(actor) if actor is not None else {"actor": None, "actor_label": ""}
    job = Job.objects.create(kind=kind, label=label[:200], status=RUNNING, started_at=Now(), attempts=1,
                             lease_expires_at=_in(lease_seconds()), actor=who["actor"],
                             actor_label=who["actor_label"])
    job.counts = {}
    try:
        with lease(Job, job.pk):
            yield job
    except BaseException as exc:
        with contextlib.suppress(Exception):
            finish(Job, job.pk, FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], counts=job.counts)
        raise
    finish(Job, job.pk, SUCCEEDED, counts=job.counts)


# --------------------------------------------------------------------------- admin actions


def _record_action(model: type[models.Model], pk: int, *, actor, reason: str) -> None:
    """An administrator's action on a job, in the job model's history when it keeps one
    (who, when, the new state and the reason); the status moved by a conditional UPDATE,
    which writes no history by itself."""
    if not hasattr(model, "history"):
        return
    with history_context(user=actor if not isinstance(actor, str) else None, reason=reason):
        record_bulk_history(model, model.objects.filter(pk=pk), updated=True)


def cancel(model: type[models.Model], pk: int, *, actor, reason: str = "") -> bool:
    """Cancel a queued or running job (a running one stops at its next checkpoint, or its
    result is discarded). Recorded in the job's history. ``False`` when it was already done."""
    with transaction.atomic():
        done = model.objects.filter(pk=pk, status__in=ACTIVE).update(
            status=CANCELLED, finished_at=Now(), lease_expires_at=None, error=reason or "cancelled")
        if done:
            _record_action(model, pk, actor=actor, reason=reason or "cancelled")
    return bool(done)


def retry(model: type[models.Model], pk: int, *, actor) -> bool:
    """Queue a failed or cancelled job again and send it; recorded. ``False`` when the job is
    not failed/cancelled. May raise ``IntegrityError`` when a model's constraint forbids a
    second active job (the caller turns it into a refusal)."""
    kind = kind_of(model)
    with transaction.atomic():
        done = model.objects.filter(pk=pk, status__in=(FAILED, CANCELLED)).update(
            status=QUEUED, error="", finished_at=None, lease_expires_at=None, sent_at=None, attempts=0)
        if done:
            _record_action(model, pk, actor=actor, reason="retried")
            send_on_commit(kind, pk)
    return bool(done)


# --------------------------------------------------------------------------- sweep


@dataclass
class SweepResult:
    requeued: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, int]] = field(default_factory=list)
    sent: list[tuple[str, int]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"requeued": self.requeued, "failed": self.failed, "sent": self.sent}


def sweep() -> SweepResult:
    """Recover every registered kind: expired leases requeued (or failed after
    ``max_attempts()``), queued jobs unsent or unclaimed for ``resend_after_seconds()`` sent."""
    result = SweepResult()
    for kind in kinds():
        if not kind.task:
            _fail_expired(kind, result, all_expired=True)
            continue
        _fail_expired(kind, result, all_expired=False)
        expired = kind.model.objects.filter(_lease_expired(), status=RUNNING)
        for pk in list(expired.values_list("pk", flat=True)):
            # Conditional on the lease still being expired: a redelivered task may have
            # reclaimed the job since it was listed.
            if expired.filter(pk=pk).update(status=QUEUED, lease_expires_at=None, sent_at=None,
                                            error="its worker stopped; restarted"):
                result.requeued.append((kind.name, pk))
        stale = Q(sent_at__isnull=True) | Q(sent_at__lt=_in(-resend_after_seconds()))
        for pk in kind.model.objects.filter(status=QUEUED).filter(stale).values_list("pk", flat=True):
            if send(kind, pk):
                result.sent.append((kind.name, pk))
    if result.requeued or result.failed or result.sent:
        logger.info("job sweep: %s", result.as_dict())
    return result


def _fail_expired(kind: JobKind, result: SweepResult, *, all_expired: bool) -> None:
    expired = kind.model.objects.filter(_lease_expired(), status=RUNNING)
    if not all_expired:
        expired = expired.filter(attempts__gte=max_attempts())
    for pk in list(expired.values_list("pk", flat=True)):
        reason = ("its worker stopped and it was not finished" if all_expired
                  else f"its worker stopped {max_attempts()} times; start it again once the cause is fixed")
        if finish(kind.model, pk, FAILED, error=reason):
            result.failed.append((kind.name, pk))
            if kind.on_failed is not None:
                kind.on_failed(pk)


# --------------------------------------------------------------------------- starting jobs


def start_wait(user, *, scope: str = "jobs") -> int | None:
    """Seconds ``user`` must wait before starting another expensive job (exports,
    recalculations), or ``None`` when allowed; each allowed call counts one start.

    ``JOB_STARTS_PER_MINUTE`` starts per user in a fixed one-minute window, counted in the
    cache (Redis in production). An unreachable cache allows the start: a rate limit must
    not turn an outage into refusals."""
    from django.core.cache import cache

    limit = int(getattr(settings, "JOB_STARTS_PER_MINUTE", 10))
    if limit <= 0 or user is None or not getattr(user, "pk", None):
        return None
    window = int(time.time() // 60)
    key = f"job-starts:{scope}:{user.pk}:{window}"
    try:
        cache.add(key, 0, timeout=120)
        count = cache.incr(key)
    except Exception:  # cache down or key evicted between add and incr
        logger.warning("job start rate not checked (cache unavailable)", exc_info=True)
        return None
    if count > limit:
        return max(1, 60 - int(time.time()) % 60)
    return None


def hold_exclusive(name: str) -> None:
    """Inside a transaction: wait until no other transaction holds ``name``, then hold it
    until this one ends (PostgreSQL ``pg_advisory_xact_lock``; SQLite serialises writers
    by itself). Used to serialise imports of one kind (docs/reliability.md)."""
    if not connection.in_atomic_block:
        raise RuntimeError("hold_exclusive() needs an open transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])

"""Quarterly recalculation: start a run, execute it (read → compute → replace the
quarter's results atomically), and the coverage snapshot. Tasks and commands call these."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.selectors import recognitions_frame, scoring_frames
from core import jobs, roles
from core.errors import DomainError
from core.history import actor_fields, record_bulk_history, stamp
from core.importing import ImportResult
from core.memory import release_freed_memory
from core.parsers import CellError
from core.quarter import FutureQuarter, InvalidQuarter, Quarter, ensure_not_future, ensure_plausible_quarter
from core.quarter import today as business_day
from core.review import ensure_reviewable, ensure_reviewer, record_review, record_reviews
from disclosure import tasks as disclosure_tasks
from scoring import engine, results, selectors, serving, value_notifications
from scoring.inputs import INVENTORY_COLUMNS, ScoringInputs, empty_frame
from scoring.methodology import EMISSIONS, MINERALS_REPORTS, TRAINING, MethodologyParams, source_error
from scoring.models import (
    ACTIVE_RUN_STATUSES,
    CoverageSnapshot,
    Indicator,
    IndicatorValue,
    Methodology,
    MethodologyStatus,
    QuarterClose,
    QuarterLock,
    QuarterlyScore,
    QuarterOfficial,
    RunStatus,
    ScoreRun,
    ValueOrigin,
    ValueState,
)
from scoring.values import canonical_value
from suppliers.documents import evidence_document_error
from suppliers.models import Supplier
from suppliers.selectors import scope_to_user
from suppliers.services import ensure_supplier_user_may_submit, population_for_quarter
from suppliers.spend import MissingFxRates

logger = logging.getLogger(__name__)

# Only errors that a retry can cure: a dropped or busy database connection.
TRANSIENT = (OperationalError, InterfaceError)

# Sent inside the deleting transaction; receivers delete what they derived from the run and
# return ``{"what": count}`` for the change record.
score_run_deleting = Signal()

RUN_JOB = jobs.register(jobs.JobKind(name="score_run", model=ScoreRun, task="scoring.recalculate_quarter",
                                     entity_type="score_run"))


class RecalculationRefused(DomainError):
    """The run cannot start or its inputs are unusable; the message says why (API: 409).
    ``run_id``: the queued or running run that holds the quarter, when that is the reason."""

    status_code = 409

    def __init__(self, message: str, *, run_id: int | None = None):
        super().__init__(message)
        self.run_id = run_id

    def extra(self) -> dict:
        return {"run": self.run_id} if self.run_id is not None else {}


class MethodologyNotPublishable(DomainError):
    """A methodology that cannot be published (already published, weights not summing to
    100, invalid parameters); the message says why (API: 400)."""


def score_run_create(*, quarter: Quarter, methodology: Methodology | None = None, actor=None,
                     trigger: str = "api", reuse_identical: bool = False, preview: bool = False) -> ScoreRun:
    """Record a queued run of ``quarter`` (docs/reliability.md, "One active run per quarter").

    An official run (``preview=False``) needs a published methodology (default: the current
    one) and makes its version official for the quarter when it succeeds. A preview computes
    the (quarter, methodology) results of any version that is not official for the quarter
    (a draft's what-if) without touching the official results (docs/scoring.md, "Previews").

    At most one official run per quarter, and one preview per (quarter, methodology), is
    queued or running (partial unique constraints, not a check-then-insert); a preview never
    blocks an official run. When one is: with ``reuse_identical`` and the same methodology,
    that run is returned with ``run.reused = True``; otherwise ``RecalculationRefused`` names
    it (``run_id``). A quarter after the current one raises ``ValidationError({"quarter": …})``
    (core.quarter.ensure_not_future); a draft in an official run ``RecalculationRefused``."""
    try:
        ensure_not_future(quarter)
    except FutureQuarter as exc:
        raise ValidationError({"quarter": f"{exc}: a quarter that has not begun cannot be recalculated"}) from exc
    methodology = methodology or selectors.current_methodology()
    if preview:
        if QuarterOfficial.objects.filter(quarter=str(quarter), methodology=methodology).exists():
            raise RecalculationRefused(f"methodology {methodology.version} is official for {quarter}: "
                                       "recalculate the quarter instead of previewing it")
    elif not methodology.is_published:
        raise RecalculationRefused(f"methodology {methodology.version} is a draft: publish it before using it")
    who = actor_fields(actor)
    run = jobs.create_or_reuse(
        lambda: ScoreRun.objects.create(quarter=str(quarter), methodology=methodology, trigger=trigger,
                                        preview=preview, started_by=who["actor"], started_by_label=who["actor_label"]),
        lambda: _active_run(quarter, methodology, preview))
    if run is None:
        raise RecalculationRefused(f"recalculations of {quarter} are being started concurrently; try again")
    if run.reused and not (reuse_identical and run.methodology_id == methodology.pk):
        what = f"a preview of {methodology.version} on" if preview else "a recalculation of"
        raise RecalculationRefused(
            f"{what} {quarter} is already {run.status} (run {run.pk}); wait for it to finish", run_id=run.pk)
    return run


def _active_run(quarter: Quarter, methodology: Methodology, preview: bool) -> ScoreRun | None:
    """The queued or running run that holds the official lock of the quarter, or the
    preview lock of (quarter, methodology)."""
    active = ScoreRun.objects.filter(quarter=str(quarter), status__in=ACTIVE_RUN_STATUSES, preview=preview)
    if preview:
        active = active.filter(methodology=methodology)
    return active.first()


def score_run_enqueue(*, quarter: Quarter, methodology: Methodology | None = None, actor=None,
                      trigger: str = "api", preview: bool = False) -> ScoreRun:
    """Create a run (or return the identical queued/running one, ``run.reused``) and hand it
    to Celery once the transaction has committed. A broker that cannot be reached does not
    fail the request: the run stays queued and the job sweep sends it (core.jobs).
    ``preview``: see ``score_run_create``."""
    return jobs.enqueue(RUN_JOB, lambda: score_run_create(quarter=quarter, methodology=methodology, actor=actor,
                                                         trigger=trigger, reuse_identical=True, preview=preview))


def score_run_execute(*, run_id: int, task_id: str = "") -> ScoreRun | None:
    """Execute a queued run, or resume one whose worker stopped (its lease expired) or whose
    task is redelivered or retried (same ``task_id``). Returns ``None`` when the run is gone,
    finished, or held by another live worker.

    Outcomes: ``succeeded`` (results replaced atomically with the run's status), ``failed``
    with the reason, ``cancelled`` (an admin cancelled it, or the process was interrupted:
    Ctrl-C on ``recalculate_scores``). A connection error propagates with the run still
    ``running``: the task's retry (same task id) or the sweep resumes it."""
    if not jobs.claim(ScoreRun, run_id, task_id=task_id):
        return None
    run = ScoreRun.objects.select_related("methodology").get(pk=run_id)
    # A preview holds no quarter lock: its partial unique constraint locks (quarter, version).
    if not run.preview and not _claim_quarter(run):
        return _finish(run, RunStatus.FAILED, error=f"another recalculation of {run.quarter} holds the quarter lock")
    started = time.perf_counter()
    try:
        with jobs.lease(ScoreRun, run_id) as lease:
            _recalculate(run, lease, started)
    except (RecalculationRefused, MissingFxRates) as exc:
        return _finish(run, RunStatus.FAILED, error=str(exc), started=started)
    except jobs.JobCancelled:
        pass
    except TRANSIENT:
        raise
    except Exception as exc:
        logger.exception("recalculation run %s failed", run_id)
        _finish(run, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}", started=started)
        raise
    except BaseException:  # KeyboardInterrupt, SystemExit: the run stops here and frees the quarter
        _finish(run, RunStatus.CANCELLED, error="interrupted", started=started)
        raise
    finally:
        if not run.preview:
            with contextlib.suppress(*TRANSIENT):
                QuarterLock.objects.filter(quarter=run.quarter, run=run).update(run=None, locked_at=None)
    run.refresh_from_db()
    return run


def _claim_quarter(run: ScoreRun) -> bool:
    """The quarter lock row: free, already ours (a resumed run), or held by a run that is
    no longer active (whoever finishes or is reclaimed frees it)."""
    QuarterLock.objects.get_or_create(quarter=run.quarter)
    holder_active = ScoreRun.objects.filter(pk=OuterRef("run_id"), status__in=ACTIVE_RUN_STATUSES)
    return bool(QuarterLock.objects.filter(quarter=run.quarter)
                .filter(Q(run__isnull=True) | Q(run=run) | ~Exists(holder_active))
                .update(run=run, locked_at=timezone.now()))


def _finish(run: ScoreRun, status: str, *, error: str = "", started: float | None = None) -> ScoreRun:
    fields = {"error": error}
    if started is not None:
        fields["duration_seconds"] = round(time.perf_counter() - started, 3)
    jobs.finish(ScoreRun, run.pk, status, **fields)
    run.refresh_from_db()
    return run


def _rows_with(frame: pd.DataFrame, column: str, keys) -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` is in ``keys``: ``frame`` itself (no copy) when
    every row is, as when every supplier with sites or values is in the population."""
    keep = frame[column].isin(keys)
    return frame if bool(keep.all()) else frame[keep]


# A run's progress is counted in steps (core.jobs.progress_of): the seven reads of
# ``load_inputs``, the computation, the result rows, the write (done when it commits).
INPUT_READS = 7
RUN_STEPS = INPUT_READS + 3


def load_inputs(quarter: Quarter, params: MethodologyParams, step: Callable[[], None] | None = None,
                ready: Callable[[str, pd.DataFrame], None] | None = None) -> ScoringInputs:
    """Every input of a quarter, one query per table. ``step`` (optional) is called after
    each of the ``INPUT_READS`` reads (a run's progress); ``ready`` (optional) with (name, frame)
    of each ``ScoringInputs`` frame known before the last read (population, sites, audits,
    findings: the frame the inputs will hold)."""
    step = step or (lambda: None)
    ready = ready or (lambda name, frame: None)
    population = population_for_quarter(quarter=quarter, target=params.coverage_target)
    ready("population", population)
    step()
    sites, audits, findings = scoring_frames(None)
    supplier_ids = set(population["supplier_id"])
    sites = _rows_with(sites, "supplier_id", supplier_ids)
    site_ids = set(sites["site_id"])
    audits = _rows_with(audits, "site_id", site_ids)
    findings = _rows_with(findings, "site_id", site_ids)
    for name, frame in (("sites", sites), ("audits", audits), ("findings", findings)):
        ready(name, frame)
    step()
    values = selectors.values_frame(quarter)
    step()
    qbr = selectors.qbr_frame(quarter)
    step()
    recognitions = recognitions_frame(None)
    step()
    uses_emissions = any(spec.source == EMISSIONS for spec in params.indicators)
    inventories = selectors.inventories_frame(quarter) if uses_emissions else empty_frame(INVENTORY_COLUMNS)
    step()
    derived_frames = _derived_frames(quarter, params, supplier_ids)
    step()
    return ScoringInputs(
        quarter=quarter, population=population, sites=sites, audits=audits, findings=findings,
        values=_rows_with(values, "supplier_id", supplier_ids), qbr=_rows_with(qbr, "supplier_id", supplier_ids),
        recognitions=_rows_with(recognitions, "site_id", site_ids),
        inventories=_rows_with(inventories, "supplier_id", supplier_ids), **derived_frames,
    )


def _derived_frames(quarter: Quarter, params: MethodologyParams, supplier_ids: set) -> dict:
    """The frames of the derived sources the methodology uses (scorecard.md section 9: training
    records, minerals reports), for ``supplier_ids``: the ``ScoringInputs`` keyword arguments."""
    frames = {}
    if any(spec.source == TRAINING for spec in params.indicators):
        persons, courses, records = selectors.training_frames()
        persons = _rows_with(persons, "supplier_id", supplier_ids)
        frames = {"training_persons": persons, "training_courses": courses,
                  "training_records": _rows_with(records, "person_id", set(persons["person_id"]))}
    if any(spec.source == MINERALS_REPORTS for spec in params.indicators):
        reports, rows, smelters = selectors.minerals_frames(quarter)
        reports = _rows_with(reports, "supplier_id", supplier_ids)
        frames.update(minerals_reports=reports, smelters=smelters,
                      minerals_rows=_rows_with(rows, "report_id", set(reports["report_id"])))
    return frames


def supplier_inputs(quarter: Quarter, params: MethodologyParams, supplier_id: int) -> ScoringInputs | None:
    """One supplier's inputs of ``quarter`` (``None`` when it is not in the quarter's
    population): the population is split over every supplier as ``load_inputs`` does, every
    other table is read for this supplier only. The engine gives the supplier the result a
    recalculation would (its results do not depend on the other suppliers in the call)."""
    population = population_for_quarter(quarter=quarter, target=params.coverage_target)
    population = population[population["supplier_id"] == supplier_id]
    if population.empty:
        return None
    sites, audits, findings = scoring_frames([supplier_id])
    recognitions = recognitions_frame([supplier_id])
    inventories = (selectors.inventories_frame(quarter) if any(spec.source == EMISSIONS for spec in params.indicators)
                   else empty_frame(INVENTORY_COLUMNS))
    derived_frames = _derived_frames(quarter, params, {supplier_id})
    qbr = selectors.qbr_frame(quarter)
    return ScoringInputs(
        quarter=quarter, population=population, sites=sites, audits=audits, findings=findings,
        values=selectors.values_frame(quarter, [supplier_id]), qbr=qbr[qbr["supplier_id"] == supplier_id],
        recognitions=recognitions, inventories=inventories[inventories["supplier_id"] == supplier_id],
        **derived_frames,
    )


FINGERPRINT_FRAMES = ("population", "sites", "audits", "findings", "values", "qbr", "recognitions", "inventories",
                      "training_persons", "training_courses", "training_records", "minerals_reports",
                      "minerals_rows", "smelters")


def inputs_fingerprint(inputs: ScoringInputs, params: MethodologyParams, parts: dict[str, bytes] | None = None) -> str:
    """A digest of everything a result depends on; identical inputs give identical results.

    Row hashes are sorted before digesting, so the order rows were read in does not matter.
    ``parts``: frame name → ``fingerprint_part`` of that frame, computed beforehand (the
    same digest either way).
    """
    parts = parts or {}
    digest = hashlib.sha256()
    digest.update(repr((str(inputs.quarter), params)).encode())
    for name in FINGERPRINT_FRAMES:
        part = parts.get(name)
        digest.update(part if part is not None else fingerprint_part(name, getattr(inputs, name)))
    return digest.hexdigest()


def fingerprint_part(name: str, frame: pd.DataFrame) -> bytes:
    """What ``inputs_fingerprint`` digests of one frame: its name, length and columns, then its
    rows' hashes sorted."""
    header = f"{name}:{len(frame)}:{','.join(frame.columns)}".encode()
    if frame.empty:
        return header
    hashable = frame.reset_index(drop=True)
    for column in hashable.columns:
        if hashable[column].dtype == object:
            hashable[column] = hashable[column].astype(str)
    row_hashes = pd.util.hash_pandas_object(hashable, index=False).to_numpy()
    return header + np.sort(row_hashes).tobytes()


def _compute(quarter: Quarter, params: MethodologyParams, lease: jobs.Lease | None = None):
    """Read and compute; the input frames are released on return, before results are built.
    With a ``lease``, each read and the computation advance the run's progress."""
    steps = iter(range(1, RUN_STEPS + 1))
    step = (lambda: lease.advance(next(steps), RUN_STEPS)) if lease is not None else None
    if lease is not None:
        lease.advance(0, RUN_STEPS)
    # The frames read first are digested by a thread while the later reads wait on the server.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fingerprint")
    try:
        parts = {}
        inputs = [load_inputs(quarter, params, step,
                              lambda name, frame: parts.update({name: pool.submit(fingerprint_part, name, frame)}))]
        fingerprint = inputs_fingerprint(inputs[0], params, {name: part.result() for name, part in parts.items()})
        parts.clear()  # the digested rows' hashes (8 bytes a row), not held through the engine
    finally:  # a failed read does not wait for the digests still queued
        pool.shutdown(wait=True, cancel_futures=True)
    release_freed_memory()  # what the reads and the fingerprint freed, before the engine's arrays
    # Handed over, not kept: the engine lets go of the frames it has read (scoring.engine).
    result = fingerprint, engine.compute_quarter(inputs.pop(), params)
    if step is not None:
        step()
    return result


def _recalculate(run: ScoreRun, lease: jobs.Lease, started: float) -> None:
    """Read, compute, then replace the quarter's results and mark the run succeeded in one
    transaction (a run cancelled meanwhile writes nothing)."""
    lease.checkpoint("read")
    fingerprint, result = _compute(Quarter.parse(run.quarter), selectors.methodology_params(run.methodology), lease)
    release_freed_memory()  # the input frames' pages, before the result rows are built
    lease.checkpoint("compute")
    coverage = {**result.coverage, "base_currency": settings.BASE_CURRENCY}
    coverage = _with_run_metadata(coverage, run)
    # Built a few thousand suppliers at a time while they are written (inside the transaction).
    scores = results.score_rows(run, result)
    lease.advance(RUN_STEPS - 1)  # what is left: the write, done when it commits
    counts = {
        "scored": len(result.scores),
        "full": int((result.scores["population"] == "full").sum()),
        "ecovadis_only": int((result.scores["population"] == "ecovadis_only").sum()),
        "termination_review": int(sum("termination_review" in flags for flags in result.scores["flags"])),
        "coverage_met": {name: metric["met"] for name, metric in coverage["metrics"].items()},
    }
    QuarterLock.objects.get_or_create(quarter=run.quarter)
    with transaction.atomic():
        if not ScoreRun.objects.select_for_update().filter(pk=run.pk, status=RunStatus.RUNNING).exists():
            raise jobs.JobCancelled(f"run {run.pk} is no longer running")
        # Writes of one quarter (official or preview) take turns for the length of the write.
        QuarterLock.objects.select_for_update().get(quarter=run.quarter)
        if run.preview and QuarterOfficial.objects.filter(quarter=run.quarter, methodology=run.methodology).exists():
            raise RecalculationRefused(f"methodology {run.methodology.version} became official for {run.quarter} "
                                       "while the preview ran: its official results stay")
        # A (quarter, version)'s results are replaced as a whole, never half-written.
        results.replace_quarter_scores(run.quarter, run.methodology_id, scores)
        lease.checkpoint("write")
        metrics = coverage["metrics"]
        # The previous snapshot's data (megabytes) is replaced, not read.
        CoverageSnapshot.objects.defer("data").update_or_create(
            quarter=run.quarter, methodology=run.methodology,
            defaults={"run": run, "data": coverage, "official": not run.preview,
                      "audit_met": metrics["audit"]["met"],
                      "all_met": all(metric["met"] for metric in metrics.values())},
        )
        # Written: what follows (the summaries, the estimate when Celery runs eagerly) reads the
        # stored rows, not these, and starts from the memory they held.
        del result, scores, coverage, metrics
        release_freed_memory()
        if not run.preview:
            # The rows and the snapshot were just written official (``score_rows``).
            _make_official(run.quarter, run.methodology, run=run, actor=run.started_by or run.started_by_label,
                           written_official=True)
        jobs.finish(ScoreRun, run.pk, RunStatus.SUCCEEDED, counts=counts, fingerprint=fingerprint,
                    duration_seconds=round(time.perf_counter() - started, 3), **lease.finished_fields())
        # The dashboard's emissions panel reads the quarter's stored estimate (section 11),
        # computed once the run is committed, outside the run's own time.
        transaction.on_commit(lambda: disclosure_tasks.store_emissions_estimate.delay(run.quarter), robust=True)
    # The pages' and the API's summaries of the new snapshot, ready for the first request.
    serving.refresh_quarter(str(run.quarter))
    _store_comparison(run)
    release_freed_memory()  # the next run in this worker starts from what it needs


def _store_comparison(run: ScoreRun) -> None:
    """The comparison page's default pair, stored for its first request
    (``scoring.comparison.stored_compare``): after a preview, the official version against the
    preview's; after an official run, the official version against the newest other version
    with results of the quarter (the page's default "compared with"). A failure here only
    leaves the first page request to compute it: the run has succeeded."""
    from scoring.comparison import stored_page

    quarter = Quarter.parse(run.quarter)
    official = QuarterOfficial.objects.filter(quarter=run.quarter).select_related("methodology").first()
    if official is None:
        return
    if run.preview:
        other = run.methodology if official.methodology_id != run.methodology_id else None
    else:
        others = [snapshot.methodology for snapshot in selectors.quarter_versions(quarter)
                  if snapshot.methodology_id != official.methodology_id]
        other = others[0] if others else None
    if other is None:
        return
    try:
        stored_page(quarter, official.methodology, other)
    except Exception:  # noqa: BLE001 - a summary for speed; the page computes it if missing
        logger.exception("storing the %s comparison %s/%s failed", run.quarter, official.methodology.version,
                         other.version)


def _make_official(quarter: str, methodology: Methodology, *, run: ScoreRun | None, actor, reason: str = "",
                   written_official: bool = False) -> None:
    """Mark the (quarter, methodology) results official and every other version's results of
    the quarter not; record the choice in ``QuarterOfficial`` (history when the version
    changes). ``written_official``: the caller has just written every (quarter, methodology)
    row and the snapshot official in this transaction (an official run), so they are not
    searched again (100,000 rows, #13). Call inside a transaction."""
    QuarterlyScore.objects.filter(quarter=quarter, official=True).exclude(methodology=methodology).update(
        official=False)
    CoverageSnapshot.objects.filter(quarter=quarter, official=True).exclude(methodology=methodology).update(
        official=False)
    if not written_official:
        QuarterlyScore.objects.filter(quarter=quarter, methodology=methodology, official=False).update(official=True)
        CoverageSnapshot.objects.filter(quarter=quarter, methodology=methodology, official=False).update(official=True)
    current = QuarterOfficial.objects.select_for_update().filter(quarter=quarter).first()
    if current is not None and current.methodology_id == methodology.pk:
        if run is not None and current.run_id != run.pk:
            QuarterOfficial.objects.filter(pk=current.pk).update(run=run)
        return
    current = current or QuarterOfficial(quarter=quarter)
    current.methodology = methodology
    current.run = run
    stamp(current, actor=actor or "system", reason=reason).save()


def official_methodology_set(*, quarter: Quarter, methodology: Methodology, actor, reason: str = "") -> QuarterOfficial:
    """Make ``methodology``'s stored results of ``quarter`` the official ones (recorded with
    ``reason``). The version must be published and its stored results computed after its
    publication (an official run, or a preview of the published version); a closed quarter
    keeps its official results. Raises ``RecalculationRefused`` saying why."""
    if QuarterClose.objects.filter(quarter=str(quarter)).exists():
        raise RecalculationRefused(f"{quarter} is closed: its official results stay")
    if not methodology.is_published:
        raise RecalculationRefused(f"methodology {methodology.version} is a draft: publish it first")
    snapshot = CoverageSnapshot.objects.select_related("run").filter(quarter=str(quarter),
                                                                    methodology=methodology).first()
    if snapshot is None or (snapshot.run.preview and snapshot.run.created_at < methodology.published_at):
        raise RecalculationRefused(f"no results of {methodology.version} for {quarter} computed since its "
                                   "publication: recalculate the quarter with it")
    QuarterLock.objects.get_or_create(quarter=str(quarter))
    with transaction.atomic():
        QuarterLock.objects.select_for_update().get(quarter=str(quarter))
        _make_official(str(quarter), methodology, run=snapshot.run, actor=actor, reason=reason)
    return QuarterOfficial.objects.get(quarter=str(quarter))


def _with_run_metadata(coverage: dict, run: ScoreRun) -> dict:
    ordered = {"quarter": coverage["quarter"], "base_currency": coverage["base_currency"]}
    ordered.update({key: value for key, value in coverage.items() if key not in ordered})
    ordered["run"] = run.pk
    ordered["methodology"] = run.methodology.version
    return ordered


def methodology_publish(*, methodology: Methodology, actor) -> Methodology:
    """Publish a draft: its indicator weights must sum to 100 and its parameters, grade
    bands and QBR weights be valid. Raises ``MethodologyNotPublishable`` naming every
    problem; returns the methodology, now published (recorded in the change log)."""
    if methodology.is_published:
        raise MethodologyNotPublishable(f"methodology {methodology.version} is already published")
    from scoring.methodology_drafts import params_errors, settings_errors

    rows = list(methodology.indicators.select_related("indicator"))
    total = sum((row.weight for row in rows), Decimal(0))
    if total != 100:
        raise MethodologyNotPublishable(f"indicator weights of {methodology.version} sum to {total}, not 100")
    problems = [f"{row.indicator.code}: {'; '.join(errors)}" for row in rows
                if (errors := params_errors(row.indicator.code, row.normalisation, row.params))]
    problems += [f"{row.indicator.code}: {error}" for row in rows if row.source
                 and (error := source_error(row.indicator.code, row.indicator.source, row.source))]
    problems += [f"{name}: {error}" for name, error in settings_errors(
        grade_bands=methodology.grade_bands, qbr_weights=methodology.qbr_weights).items()]
    if problems:
        raise MethodologyNotPublishable(f"{methodology.version} cannot be published: " + " | ".join(problems))
    methodology.status = MethodologyStatus.PUBLISHED
    methodology.published_at = timezone.now()
    methodology.published_by = actor if not isinstance(actor, str) else None
    stamp(methodology, actor=actor).save(update_fields=["status", "published_at", "published_by"])
    return methodology


def score_run_now(*, quarter: Quarter, methodology: Methodology | None = None, actor=None,
                  trigger: str = "command", preview: bool = False) -> ScoreRun:
    """Run in the foreground through the same task code Celery runs (``.apply``). Refused
    (``RecalculationRefused`` with ``run_id``) while another run of the quarter is active.
    Interrupted (Ctrl-C), the run is recorded ``cancelled`` and the quarter is free.
    ``preview``: a what-if run of a version that is not official (``score_run_create``)."""
    from scoring.tasks import recalculate_quarter

    run = score_run_create(quarter=quarter, methodology=methodology, actor=actor, trigger=trigger, preview=preview)
    try:
        recalculate_quarter.apply(args=[run.pk], throw=True)
    except BaseException:
        # Interrupted before or after the claim: never leave the run queued or running.
        ScoreRun.objects.filter(pk=run.pk, status__in=ACTIVE_RUN_STATUSES).update(
            status=RunStatus.CANCELLED, error="interrupted", finished_at=timezone.now(), lease_expires_at=None)
        raise
    run.refresh_from_db()
    return run


def score_run_cancel(*, run: ScoreRun, actor, reason: str = "") -> bool:
    """Cancel a queued or running run (recorded); the quarter is free at once. A running
    worker stops at its next step and writes nothing. ``False`` when it had finished."""
    return jobs.cancel(ScoreRun, run.pk, actor=actor, reason=reason or "cancelled by an administrator")


def score_run_retry(*, run: ScoreRun, actor) -> bool:
    """Queue a failed or cancelled run again (recorded). ``RecalculationRefused`` when
    another run of its quarter is active; ``False`` when the run is not failed/cancelled."""
    try:
        ensure_not_future(Quarter.parse(run.quarter))
        return jobs.retry(ScoreRun, run.pk, actor=actor)
    except FutureQuarter as exc:
        raise RecalculationRefused(str(exc)) from exc
    except IntegrityError:
        active = _active_run(Quarter.parse(run.quarter), run.methodology, run.preview)
        raise RecalculationRefused(f"run {active.pk if active else '?'} of {run.quarter} is active; wait for it",
                                   run_id=active.pk if active else None) from None


def score_run_delete(*, run: ScoreRun, actor, reason: str) -> dict:
    """Delete a mistaken run with its results: the quarter's stored scores and coverage when
    they are this run's, and the reports written from it (files included). Recorded with
    ``reason``. Refused (``RecalculationRefused``) for an active run (cancel it first) and
    for the run that closed its quarter. Returns what was deleted."""
    if not reason.strip():
        raise ValidationError({"reason": "say why the run is deleted"})
    if run.status in ACTIVE_RUN_STATUSES:
        raise RecalculationRefused(f"run {run.pk} is {run.status}: cancel it before deleting it", run_id=run.pk)
    if QuarterClose.objects.filter(run=run).exists():
        raise RecalculationRefused(f"run {run.pk} closed {run.quarter}; a closed quarter's results stay")
    with transaction.atomic():
        deleted = {"run": run.pk, "quarter": run.quarter, "status": run.status,
                   "scores": QuarterlyScore.objects.filter(run=run).delete()[0],
                   "coverage": CoverageSnapshot.objects.filter(run=run).delete()[0]}
        # Apps above scoring delete what they derived from the run (reports: its files).
        for _receiver, removed in score_run_deleting.send(sender=ScoreRun, run=run):
            deleted.update(removed or {})
        # The run's history keeps its last state, who deleted it and why (and what went with it).
        stamp(run, actor=actor, reason=f"{reason} (deleted: {deleted})").delete()
    return deleted


def _today(today: str | None):
    return business_day() if today is None else timezone.datetime.fromisoformat(today).date()


def schedule_recent_quarters(*, today: str | None = None) -> list[int]:
    """Queue runs of the current and previous quarter that are not closed or already active."""
    current = Quarter.containing(_today(today))
    closed = set(QuarterClose.objects.filter(quarter__in=[str(current), str(current.previous())])
                 .values_list("quarter", flat=True))
    run_ids = []
    for quarter in (current.previous(), current):
        if str(quarter) in closed:
            continue
        try:
            run_ids.append(score_run_enqueue(quarter=quarter, actor="schedule", trigger="schedule").pk)
        except RecalculationRefused as exc:
            logger.info("nightly recalculation of %s skipped: %s", quarter, exc)
    return run_ids


def close_previous_quarter(*, today: str | None = None) -> str | None:
    """Final run of the quarter that just ended, then record it as closed. Returns the
    quarter closed, or ``None`` when it already was. Raises ``RecalculationRefused`` while
    another run of the quarter is active or when the final run failed: the task retries."""
    quarter = Quarter.containing(_today(today)).previous()
    if QuarterClose.objects.filter(quarter=str(quarter)).exists():
        return None
    run = score_run_now(quarter=quarter, actor="schedule", trigger="schedule")
    if run.status != RunStatus.SUCCEEDED:
        raise RecalculationRefused(f"the final run of {quarter} (run {run.pk}) {run.status}: {run.error}",
                                   run_id=run.pk)
    QuarterClose.objects.create(quarter=str(quarter), run=run, closed_by_label="schedule")
    return str(quarter)


REVIEW_STATES = (ValueState.ACCEPTED, ValueState.REJECTED)  # core.review.REVIEW_STATES


@transaction.atomic
def value_review(*, value: IndicatorValue, state: str, actor, comment: str = "") -> IndicatorValue:
    """Accept or reject a submitted indicator value (scorecard.md section 5: only accepted
    values count); recorded in the change log with the comment as the reason.

    Rules, for the API and the portal alike: only a ``submitted`` value is reviewed;
    ``state`` is ``accepted`` or ``rejected``; a rejection needs a comment (the supplier
    must know what to correct); only a procurement writer reviews
    (``core.review.ensure_reviewer``). Raises ``ValidationError`` keyed ``state``/``comment``,
    ``PermissionDenied``.
    """
    ensure_reviewer(actor)
    ensure_reviewable(current_state=value.state, state=state, comment=comment, what="values",
                      reason_message=_("Say why the value is rejected so the supplier can correct it."))
    record_review(value, state=state, actor=actor, comment=comment)
    value_notifications.notify_value_step(value, actor)
    return value


BULK_REVIEW_LIMIT = 1000  # values one bulk review may decide


@transaction.atomic
def values_review(*, value_ids, state: str, actor, comment: str = "") -> list[IndicatorValue]:
    """One decision on many submitted values (the review queue's bulk action): each value
    gets exactly what ``value_review`` gives one (``core.review.ensure_reviewable``, the
    history row with the comment as its reason, the supplier's notification), or none
    does: all-or-nothing.

    ``value_ids``: ids of values the actor may see (``suppliers.selectors.scope_to_user``),
    1 to ``BULK_REVIEW_LIMIT`` of them. Refused with ``ValidationError`` keyed
    ``values``/``state``/``comment`` when nothing is selected, too much is, an id is not
    in the actor's queue (unknown or another supplier's), a value is no longer
    ``submitted`` (reviewed meanwhile) or a rejection has no comment; ``PermissionDenied``
    unless the actor is a procurement writer. The values are locked while checked, so two
    reviewers never both decide one. A fixed number of queries whatever the count.
    Returns the reviewed values (with ``supplier`` and ``indicator``).
    """
    ensure_reviewer(actor)
    ids = list(dict.fromkeys(int(pk) for pk in value_ids))
    if not ids:
        raise ValidationError({"values": _("Select at least one value.")})
    if len(ids) > BULK_REVIEW_LIMIT:
        raise ValidationError({"values": _("Select at most %(limit)d values at once.") % {
            "limit": BULK_REVIEW_LIMIT}})
    ensure_reviewable(current_state=ValueState.SUBMITTED, state=state, comment=comment, what="values",
                      reason_message=_("Say why the values are rejected so the supplier can correct them."))
    locked = IndicatorValue.objects.select_for_update(of=("self",)).select_related("supplier", "indicator")
    values = list(scope_to_user(locked, actor, "supplier").filter(pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {value.pk for value in values})
    if missing:
        raise ValidationError({"values": _("%(count)d of the selected values are not in your review queue; "
                                           "nothing was reviewed.") % {"count": len(missing)}})
    stale = [value for value in values if value.state != ValueState.SUBMITTED]
    if stale:
        raise ValidationError({"values": _("Already reviewed since the page was loaded: %(values)s. Nothing was "
                                           "reviewed; reload the queue.") % {"values": ", ".join(
            f"{v.supplier.code} {v.indicator.code} {v.quarter}" for v in stale[:10])}})
    record_reviews(IndicatorValue, values, state=state, actor=actor, comment=comment)
    value_notifications.notify_value_steps(values, actor)
    return values


def indicator_value_submit(*, supplier: Supplier, quarter: Quarter, indicator: Indicator, value: str, actor,
                           source: str = "", evidence_ref: str = "") -> IndicatorValue:
    """A reported value, as the API's ``POST indicator-values`` records it: a supplier
    user's submission waits for review; a procurement writer's entry is accepted at once.

    ``value`` is checked against the indicator (``scoring.values.canonical_value``);
    ``evidence_ref`` naming a document (``document:<id>``) must be one of the same
    supplier's documents (``suppliers.documents.evidence_document_error``). The quarter
    cannot lie after the current one nor before 2000 (contract.md, "Dates are plausible";
    ``core.quarter.ensure_plausible_quarter``). Raises ``ValidationError`` keyed
    ``quarter``/``value``/``evidence_ref``; nothing is written then.
    """
    try:
        ensure_plausible_quarter(quarter if isinstance(quarter, Quarter) else Quarter.parse(str(quarter)))
    except InvalidQuarter as exc:
        raise ValidationError({"quarter": str(exc)}) from exc
    errors = {}
    spec = selectors.methodology_params(selectors.current_methodology()).indicator(indicator.code)
    try:
        canonical = canonical_value(spec, value)
    except CellError as exc:
        errors["value"] = str(exc)
    evidence_error = evidence_document_error(evidence_ref, supplier.pk)
    if evidence_error:
        errors["evidence_ref"] = evidence_error
    if errors:
        raise ValidationError(errors)
    ensure_supplier_user_may_submit(actor=actor, supplier=supplier)
    is_supplier = roles.is_supplier_user(actor)
    now = timezone.now()
    row = IndicatorValue(
        supplier=supplier, quarter=str(quarter), indicator=indicator, value=canonical, source=source,
        evidence_ref=evidence_ref, origin=ValueOrigin.SUPPLIER if is_supplier else ValueOrigin.PROCUREMENT,
        state=ValueState.SUBMITTED if is_supplier else ValueState.ACCEPTED, submitted_at=now, submitted_by=actor,
        submitted_by_label=actor.get_username(), reviewed_at=None if is_supplier else now,
        reviewed_by=None if is_supplier else actor,
    )
    stamp(row, actor=actor).save()
    if row.state == ValueState.SUBMITTED:
        value_notifications.notify_value_step(row, actor)
    return row


# Up to this many suppliers, an import reads the stored values of those suppliers only (one
# IN list); a bigger import reads the quarters' values of its indicators.
EXISTING_BY_SUPPLIER = 1000


@dataclass(frozen=True)
class ImportedValue:
    """One value an import brings: ``value`` already canonical (``scoring.values.canonical_value``);
    ``source``/``evidence_ref`` ``None`` = not given (a stored one is kept)."""

    supplier_id: int
    quarter: str
    indicator_id: int
    value: str
    source: str | None = None
    evidence_ref: str | None = None


def indicator_values_import(*, values: list[ImportedValue], actor, dry_run: bool = False) -> ImportResult:
    """The one door for imported indicator values (``import_indicator_values`` and the
    third-party lists of ``scoring.thirdparty``): each is ``accepted`` (scorecard.md section 5),
    upserted on (supplier, quarter, indicator) among imported values; a changed value is a new
    submission (the latest within its quarter). Bulk: three queries and the history, whatever
    the number of values. Returns created / updated / unchanged counts."""
    quarters = {value.quarter for value in values}
    # Only rows that can match the (supplier, quarter, indicator) key: a one-indicator list or
    # one supplier's confirmed match does not read the quarter's every imported value.
    candidates = IndicatorValue.objects.filter(origin=ValueOrigin.IMPORT, quarter__in=quarters,
                                               indicator_id__in={value.indicator_id for value in values})
    supplier_ids = {value.supplier_id for value in values}
    if len(supplier_ids) <= EXISTING_BY_SUPPLIER:
        candidates = candidates.filter(supplier_id__in=supplier_ids)
    existing = {(v.supplier_id, v.quarter, v.indicator_id): v for v in candidates}
    now = timezone.now()
    who = actor_fields(actor)
    result = ImportResult()
    to_create, to_update = [], []
    for item in values:
        key = (item.supplier_id, item.quarter, item.indicator_id)
        fields = {"value": item.value, "source": item.source, "evidence_ref": item.evidence_ref}
        stored = existing.get(key)
        if stored is None:
            to_create.append(IndicatorValue(
                supplier_id=key[0], quarter=key[1], indicator_id=key[2], origin=ValueOrigin.IMPORT,
                state=ValueState.ACCEPTED, submitted_at=now, submitted_by=who["actor"],
                submitted_by_label=who["actor_label"], reviewed_at=now, reviewed_by=who["actor"],
                **{name: value if value is not None else "" for name, value in fields.items()},
            ))
            continue
        changed = {name: value for name, value in fields.items()
                   if value is not None and getattr(stored, name) != value}
        if not changed and stored.state == ValueState.ACCEPTED:
            result.unchanged += 1
            continue
        for name, value in changed.items():
            setattr(stored, name, value)
        stored.state, stored.submitted_at, stored.reviewed_at = ValueState.ACCEPTED, now, now
        stored.submitted_by, stored.submitted_by_label = who["actor"], who["actor_label"]
        to_update.append(stored)
    result.created, result.updated = len(to_create), len(to_update)
    if not dry_run:
        IndicatorValue.objects.bulk_create(to_create, batch_size=2000)
        IndicatorValue.objects.bulk_update(
            to_update, ["value", "source", "evidence_ref", "state", "submitted_at", "reviewed_at",
                        "submitted_by", "submitted_by_label"], batch_size=500)
        record_bulk_history(IndicatorValue, to_create)
        record_bulk_history(IndicatorValue, to_update, updated=True)
    return result

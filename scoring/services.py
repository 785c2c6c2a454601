"""Quarterly recalculation: start a run, execute it (read → compute → replace the
quarter's results atomically), and the coverage snapshot. Tasks and commands call these."""

from __future__ import annotations

import hashlib
import logging
import time
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audits.selectors import recognitions_frame, scoring_frames
from core import roles
from core.changelog import actor_fields, record_change
from core.errors import DomainError
from core.parsers import CellError
from core.quarter import Quarter
from scoring import engine, results, selectors
from scoring.inputs import INVENTORY_COLUMNS, ScoringInputs, empty_frame
from scoring.methodology import EMISSIONS, TRAINING, MethodologyParams, source_error
from scoring.models import (
    ACTIVE_RUN_STATUSES,
    CoverageSnapshot,
    Indicator,
    IndicatorValue,
    Methodology,
    MethodologyStatus,
    QuarterClose,
    QuarterLock,
    RunStatus,
    ScoreRun,
    ValueOrigin,
    ValueState,
)
from scoring.values import canonical_value
from suppliers.documents import evidence_document_error
from suppliers.models import Supplier
from suppliers.services import population_for_quarter
from suppliers.spend import MissingFxRates

logger = logging.getLogger(__name__)

# A lock older than this belongs to a worker that died mid-run.
STALE_LOCK_SECONDS = 6 * 3600


class RecalculationRefused(DomainError):
    """The run cannot start or its inputs are unusable; the message says why (API: 409)."""

    status_code = 409


class MethodologyNotPublishable(DomainError):
    """A methodology that cannot be published (already published, weights not summing to
    100, invalid parameters); the message says why (API: 400)."""


def score_run_create(*, quarter: Quarter, methodology: Methodology | None = None, actor=None,
                     trigger: str = "api") -> ScoreRun:
    """Record a queued run; refuses when a run of the same quarter is queued or running."""
    methodology = methodology or selectors.current_methodology()
    if not methodology.is_published:
        raise RecalculationRefused(f"methodology {methodology.version} is a draft: publish it before using it")
    active = ScoreRun.objects.filter(quarter=str(quarter), status__in=ACTIVE_RUN_STATUSES).first()
    if active is not None:
        raise RecalculationRefused(
            f"a recalculation of {quarter} is already {active.status} (run {active.pk}); wait for it to finish"
        )
    who = actor_fields(actor)
    return ScoreRun.objects.create(quarter=str(quarter), methodology=methodology, trigger=trigger,
                                   started_by=who["actor"], started_by_label=who["actor_label"])


def score_run_enqueue(*, quarter: Quarter, methodology: Methodology | None = None, actor=None,
                      trigger: str = "api") -> ScoreRun:
    """Create a run and hand it to Celery once the transaction has committed."""
    from scoring.tasks import recalculate_quarter

    with transaction.atomic():
        run = score_run_create(quarter=quarter, methodology=methodology, actor=actor, trigger=trigger)
        transaction.on_commit(lambda: _send(recalculate_quarter, run.pk))
    run.refresh_from_db()
    return run


def _send(task, run_id: int) -> None:
    result = task.delay(run_id)
    ScoreRun.objects.filter(pk=run_id, task_id="").update(task_id=result.id or "")


def score_run_execute(*, run_id: int) -> ScoreRun | None:
    """Execute a queued run. Idempotent: a run that is gone or no longer queued is left alone."""
    claimed = ScoreRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    run = ScoreRun.objects.select_related("methodology").get(pk=run_id)
    if not _claim_quarter(run):
        return _finish(run, RunStatus.FAILED, error=f"another recalculation of {run.quarter} holds the quarter lock")
    started = time.perf_counter()
    try:
        counts, fingerprint = _recalculate(run)
    except (RecalculationRefused, MissingFxRates) as exc:
        return _finish(run, RunStatus.FAILED, error=str(exc), started=started)
    except Exception as exc:
        logger.exception("recalculation run %s failed", run_id)
        _finish(run, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}", started=started)
        raise
    finally:
        QuarterLock.objects.filter(quarter=run.quarter, run=run).update(run=None, locked_at=None)
    return _finish(run, RunStatus.SUCCEEDED, counts=counts, fingerprint=fingerprint, started=started)


def _claim_quarter(run: ScoreRun) -> bool:
    QuarterLock.objects.get_or_create(quarter=run.quarter)
    now = timezone.now()
    stale = now - timezone.timedelta(seconds=STALE_LOCK_SECONDS)
    return bool(QuarterLock.objects.filter(quarter=run.quarter)
                .filter(Q(run__isnull=True) | Q(locked_at__lt=stale))
                .update(run=run, locked_at=now))


def _finish(run: ScoreRun, status: str, *, error: str = "", counts: dict | None = None, fingerprint: str = "",
            started: float | None = None) -> ScoreRun:
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    if started is not None:
        run.duration_seconds = round(time.perf_counter() - started, 3)
    if counts is not None:
        run.counts = counts
    if fingerprint:
        run.fingerprint = fingerprint
    run.save(update_fields=["status", "error", "finished_at", "duration_seconds", "counts", "fingerprint"])
    return run


def load_inputs(quarter: Quarter, params: MethodologyParams) -> ScoringInputs:
    """Every input of a quarter, one query per table."""
    population = population_for_quarter(quarter=quarter, target=params.coverage_target)
    sites, audits, findings = scoring_frames(None)
    supplier_ids = set(population["supplier_id"])
    sites = sites[sites["supplier_id"].isin(supplier_ids)]
    audits = audits[audits["site_id"].isin(set(sites["site_id"]))]
    findings = findings[findings["site_id"].isin(set(sites["site_id"]))]
    values = selectors.values_frame(quarter)
    qbr = selectors.qbr_frame(quarter)
    recognitions = recognitions_frame(None)
    uses_emissions = any(spec.source == EMISSIONS for spec in params.indicators)
    inventories = selectors.inventories_frame(quarter) if uses_emissions else empty_frame(INVENTORY_COLUMNS)
    training = {}
    if any(spec.source == TRAINING for spec in params.indicators):
        persons, courses, records = selectors.training_frames()
        persons = persons[persons["supplier_id"].isin(supplier_ids)]
        training = {"training_persons": persons, "training_courses": courses,
                    "training_records": records[records["person_id"].isin(set(persons["person_id"]))]}
    return ScoringInputs(
        quarter=quarter, population=population, sites=sites, audits=audits, findings=findings,
        values=values[values["supplier_id"].isin(supplier_ids)], qbr=qbr[qbr["supplier_id"].isin(supplier_ids)],
        recognitions=recognitions[recognitions["site_id"].isin(set(sites["site_id"]))],
        inventories=inventories[inventories["supplier_id"].isin(supplier_ids)], **training,
    )


def inputs_fingerprint(inputs: ScoringInputs, params: MethodologyParams) -> str:
    """A digest of everything a result depends on; identical inputs give identical results.

    Row hashes are sorted before digesting, so the order rows were read in does not matter.
    """
    digest = hashlib.sha256()
    digest.update(repr((str(inputs.quarter), params)).encode())
    for name in ("population", "sites", "audits", "findings", "values", "qbr", "recognitions", "inventories",
                 "training_persons", "training_courses", "training_records"):
        frame = getattr(inputs, name)
        digest.update(f"{name}:{len(frame)}:{','.join(frame.columns)}".encode())
        if frame.empty:
            continue
        hashable = frame.reset_index(drop=True)
        for column in hashable.columns:
            if hashable[column].dtype == object:
                hashable[column] = hashable[column].astype(str)
        row_hashes = pd.util.hash_pandas_object(hashable, index=False).to_numpy()
        digest.update(np.sort(row_hashes).tobytes())
    return digest.hexdigest()


def _compute(quarter: Quarter, params: MethodologyParams):
    """Read and compute; the input frames are released on return, before results are built."""
    inputs = load_inputs(quarter, params)
    return inputs_fingerprint(inputs, params), engine.compute_quarter(inputs, params)


def _recalculate(run: ScoreRun) -> tuple[dict, str]:
    fingerprint, result = _compute(Quarter.parse(run.quarter), selectors.methodology_params(run.methodology))
    coverage = {**result.coverage, "base_currency": settings.BASE_CURRENCY}
    coverage = _with_run_metadata(coverage, run)
    scores = results.score_rows(run, result)
    with transaction.atomic():
        # A quarter's results are replaced as a whole, never half-written.
        results.replace_quarter_scores(run.quarter, scores)
        metrics = coverage["metrics"]
        CoverageSnapshot.objects.update_or_create(
            quarter=run.quarter,
            defaults={"run": run, "methodology": run.methodology, "data": coverage,
                      "audit_met": metrics["audit"]["met"],
                      "all_met": all(metric["met"] for metric in metrics.values())},
        )
        record_change(actor=run.started_by or run.started_by_label or "system", entity_type="quarter_scores",
                      entity_id=run.quarter, action="recalculated",
                      changes={"run": run.pk, "methodology": run.methodology.version, "suppliers": len(scores),
                               "fingerprint": fingerprint})
    counts = {
        "scored": len(scores),
        "full": int((result.scores["population"] == "full").sum()),
        "ecovadis_only": int((result.scores["population"] == "ecovadis_only").sum()),
        "termination_review": int(sum("termination_review" in flags for flags in result.scores["flags"])),
        "coverage_met": {name: metric["met"] for name, metric in coverage["metrics"].items()},
    }
    return counts, fingerprint


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
    methodology.save(update_fields=["status", "published_at", "published_by"])
    record_change(actor=actor, entity_type="methodology", entity_id=methodology.version, action="published")
    return methodology


def score_run_requeue(*, run_id: int) -> None:
    ScoreRun.objects.filter(pk=run_id).update(status=RunStatus.QUEUED, error="retrying after a transient error")


def score_run_now(*, quarter: Quarter, methodology: Methodology | None = None, actor=None,
                  trigger: str = "command") -> ScoreRun:
    """Run in the foreground through the same task code Celery runs (``.apply``)."""
    from scoring.tasks import recalculate_quarter

    run = score_run_create(quarter=quarter, methodology=methodology, actor=actor, trigger=trigger)
    recalculate_quarter.apply(args=[run.pk], throw=True)
    run.refresh_from_db()
    return run


def _today(today: str | None):
    return timezone.localdate() if today is None else timezone.datetime.fromisoformat(today).date()


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
    """Final run of the quarter that just ended, then record it as closed."""
    quarter = Quarter.containing(_today(today)).previous()
    if QuarterClose.objects.filter(quarter=str(quarter)).exists():
        return None
    run = score_run_now(quarter=quarter, actor="schedule", trigger="schedule")
    if run.status != RunStatus.SUCCEEDED:
        logger.error("closing %s failed: %s", quarter, run.error)
        return None
    QuarterClose.objects.create(quarter=str(quarter), run=run, closed_by_label="schedule")
    record_change(actor="schedule", entity_type="quarter_scores", entity_id=str(quarter), action="closed",
                  changes={"run": run.pk})
    return str(quarter)


REVIEW_STATES = (ValueState.ACCEPTED, ValueState.REJECTED)


@transaction.atomic
def value_review(*, value: IndicatorValue, state: str, actor, comment: str = "") -> IndicatorValue:
    """Accept or reject a submitted indicator value (scorecard.md section 5: only accepted
    values count); recorded in the change log with the comment as the reason.

    Rules, for the API and the portal alike: only a ``submitted`` value is reviewed;
    ``state`` is ``accepted`` or ``rejected``; a rejection needs a comment (the supplier
    must know what to correct). Raises ``ValidationError`` keyed ``state``/``comment``.
    """
    if state not in REVIEW_STATES:
        raise ValidationError({"state": _("Choose accept or reject.")})
    if value.state != ValueState.SUBMITTED:
        raise ValidationError({"state": f"only submitted values can be reviewed; this one is {value.state}"})
    if state == ValueState.REJECTED and not comment.strip():
        raise ValidationError({"comment": _("Say why the value is rejected so the supplier can correct it.")})
    value.state = state
    value.reviewed_at = timezone.now()
    value.reviewed_by = actor
    value.review_comment = comment
    value.save(update_fields=["state", "reviewed_at", "reviewed_by", "review_comment"])
    record_change(actor=actor, entity_type="indicator_value", entity_id=value.pk, action=state,
                  changes={"supplier": value.supplier.code, "indicator": value.indicator.code, "value": value.value},
                  reason=comment)
    return value


def indicator_value_submit(*, supplier: Supplier, quarter: Quarter, indicator: Indicator, value: str, actor,
                           source: str = "", evidence_ref: str = "") -> IndicatorValue:
    """A reported value, as the API's ``POST indicator-values`` records it: a supplier
    user's submission waits for review; a procurement writer's entry is accepted at once.

    ``value`` is checked against the indicator (``scoring.values.canonical_value``);
    ``evidence_ref`` naming a document (``document:<id>``) must be one of the same
    supplier's documents (``suppliers.documents.evidence_document_error``). Raises
    ``ValidationError`` keyed ``value``/``evidence_ref``; nothing is written then.
    """
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
    is_supplier = roles.is_supplier_user(actor)
    now = timezone.now()
    row = IndicatorValue.objects.create(
        supplier=supplier, quarter=str(quarter), indicator=indicator, value=canonical, source=source,
        evidence_ref=evidence_ref, origin=ValueOrigin.SUPPLIER if is_supplier else ValueOrigin.PROCUREMENT,
        state=ValueState.SUBMITTED if is_supplier else ValueState.ACCEPTED, submitted_at=now, submitted_by=actor,
        submitted_by_label=actor.get_username(), reviewed_at=None if is_supplier else now,
        reviewed_by=None if is_supplier else actor,
    )
    record_change(actor=actor, entity_type="indicator_value", entity_id=row.pk, action="submitted",
                  changes={"supplier": supplier.code, "quarter": row.quarter, "indicator": indicator.code,
                           "value": canonical, "state": row.state})
    return row

"""What the run and export pages show of a job: its state, the step indicator and
"n of N (p%)", the same for the first render and for the JSON the pages poll
(``core.jobs.progress_of`` reads the numbers the job's heartbeat wrote); and the message
after starting a run, which says how it ended when it ran in the request."""

from __future__ import annotations

from django.contrib import messages
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from core import jobs

# The step indicator: queued → running → done (or failed / cancelled).
STEPS = ("queued", "running", "finished")


def step_classes(status: str) -> dict[str, str]:
    """CSS class of each step for ``status``: ``current``, ``done``, ``failed`` or ``""``."""
    if status == jobs.QUEUED:
        return {"queued": "current", "running": "", "finished": ""}
    if status == jobs.RUNNING:
        return {"queued": "done", "running": "current", "finished": ""}
    return {"queued": "done", "running": "done", "finished": "done" if status == jobs.SUCCEEDED else "failed"}


def progress_text(progress: jobs.Progress | None) -> str:
    """"1,200 of 5,000 (24%)" in the active language; "" before the job reported a total."""
    if progress is None:
        return ""
    return _("%(done)s of %(total)s (%(percent)s%%)") % {
        "done": number_format(progress.done, force_grouping=True),
        "total": number_format(progress.total, force_grouping=True), "percent": progress.percent}


def job_state(job) -> dict:
    """``status``, ``status_display``, ``active``, ``steps`` (class per step), ``progress``
    (``{"done", "total", "percent"}`` or ``None``) and ``progress_text`` of a ScoreRun or a
    Report; the JSON status endpoints return it as is."""
    progress = jobs.progress_of(job)
    return {"status": job.status, "status_display": job.get_status_display(), "active": job.status in jobs.ACTIVE,
            "steps": step_classes(job.status), "progress": progress.as_dict() if progress else None,
            "progress_text": progress_text(progress)}


def run_started_message(request, run, pending: str) -> None:
    """Say what happened to a run just started: with tasks run in the request (no broker:
    the laptop default) it has already ended by now, and the message says how; otherwise
    ``pending`` ("… started")."""
    run.refresh_from_db(fields=["status", "counts", "error", "progress_done", "progress_total"])
    values = {"quarter": run.quarter, "id": run.pk, "version": run.methodology.version}
    if run.status == jobs.SUCCEEDED and run.preview:
        messages.success(request, _("Preview of %(version)s on %(quarter)s done; the official results stay as they "
                                    "are.") % values)
    elif run.status == jobs.SUCCEEDED:
        messages.success(request, _("Recalculation of %(quarter)s done: %(scored)s suppliers scored.")
                         % {**values, "scored": (run.counts or {}).get("scored", 0)})
    elif run.status == jobs.FAILED:
        messages.error(request, _("Recalculation of %(quarter)s failed: %(error)s") % {**values, "error": run.error})
    elif run.status == jobs.CANCELLED:
        messages.warning(request, _("Recalculation of %(quarter)s was cancelled.") % values)
    else:
        messages.success(request, pending)

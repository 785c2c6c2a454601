"""core.jobs.create_or_reuse: one active job per identical request, the second request
answered with the first, and the race in which the active job finishes meanwhile."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import IntegrityError

from core import jobs


class _Refusing:
    """A ``create`` whose first ``refusals`` calls hit the active-job constraint."""

    def __init__(self, refusals: int):
        self.refusals, self.calls = refusals, 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.refusals:
            raise IntegrityError("one active job per request")
        return SimpleNamespace(pk=self.calls)


@pytest.mark.django_db
def test_a_new_job_is_not_reused():
    job = jobs.create_or_reuse(_Refusing(0), lambda: pytest.fail("no active job is looked for"))
    assert (job.pk, job.reused) == (1, False)


@pytest.mark.django_db
def test_an_identical_active_job_is_the_answer():
    active = SimpleNamespace(pk=7)
    create = _Refusing(1)
    assert jobs.create_or_reuse(create, lambda: active) is active
    assert active.reused is True and create.calls == 1


@pytest.mark.django_db
def test_an_active_job_that_finished_meanwhile_lets_the_next_attempt_create():
    create = _Refusing(2)
    job = jobs.create_or_reuse(create, lambda: None)
    assert (job.pk, job.reused, create.calls) == (3, False, 3)


@pytest.mark.django_db
def test_every_attempt_lost_to_a_finishing_job_is_none():
    create = _Refusing(3)
    assert jobs.create_or_reuse(create, lambda: None) is None
    assert create.calls == 3

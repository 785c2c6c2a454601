"""Tasks sent through the real broker (Redis) to a real worker subprocess, results back through Redis."""

from __future__ import annotations

import environ
import pytest
from django.contrib.auth.models import Group

from config.celery import app as celery_app
from core.tasks import count_groups, ping

pytest_plugins = ["tests.worker_fixtures"]


def test_ping_runs_eagerly_without_a_worker():
    assert celery_app.conf.task_always_eager  # the test settings' default
    result = ping.delay("local")
    assert result.get(timeout=1)["pong"] == "local"


@pytest.mark.parametrize(
    "settings_dict",
    [
        {"NAME": "test_esg_scorecard", "USER": "postgres", "PASSWORD": "", "HOST": "127.0.0.1", "PORT": 5432},
        {
            "NAME": "test_x",
            "USER": "esg",
            "PASSWORD": "p@ss:w/rd",
            "HOST": "db.internal",
            "PORT": "6543",
            "OPTIONS": {"sslmode": "require"},
        },
        {"NAME": "test_y", "USER": "", "PASSWORD": "", "HOST": "", "PORT": ""},
    ],
)
def test_database_url_for_round_trips_through_django_environ(settings_dict):
    from tests.worker_fixtures import database_url_for

    parsed = environ.Env.db_url_config(database_url_for(settings_dict))
    assert parsed["ENGINE"] == "django.db.backends.postgresql"
    for key in ("NAME", "USER", "PASSWORD", "HOST"):
        assert parsed[key] == settings_dict[key], key
    assert str(parsed["PORT"] or "") == str(settings_dict["PORT"] or "")
    assert parsed.get("OPTIONS", {}) == settings_dict.get("OPTIONS", {})


@pytest.mark.worker
@pytest.mark.real_clock
def test_ping_goes_through_the_broker_to_a_real_worker(live_celery_worker):
    assert celery_app.conf.task_always_eager is False  # the fixture turned eager off for this test
    result = ping.delay("hello")
    assert result.get(timeout=30) == {"pong": "hello", "worker": live_celery_worker.nodename}


@pytest.mark.worker
@pytest.mark.real_clock
def test_worker_reads_rows_committed_by_the_test(celery_worker_with_db):
    Group.objects.create(name="worker-visible")
    assert count_groups.delay("worker-visible").get(timeout=30) == 1
    assert count_groups.delay().get(timeout=30) == Group.objects.count()
    assert count_groups.delay("no-such-group").get(timeout=30) == 0


def test_eager_mode_is_restored_after_worker_tests():
    assert celery_app.conf.task_always_eager is True

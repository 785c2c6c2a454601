"""Production never runs tasks in-process: without a broker, publishing a task is refused
and ``manage.py check`` reports it (only the laptop default, config/settings/base.py, runs
tasks eagerly)."""

from __future__ import annotations

from celery.signals import before_task_publish
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

NO_BROKER = ("no Celery broker is configured and tasks do not run in-process here: set CELERY_BROKER_URL "
             "(e.g. redis://redis:6379/0)")


def tasks_unrunnable() -> bool:
    return not settings.CELERY_TASK_ALWAYS_EAGER and not settings.CELERY_BROKER_URL


@before_task_publish.connect(dispatch_uid="core.tasks_guard.refuse_without_broker")
def _refuse_without_broker(**kwargs) -> None:
    if tasks_unrunnable():
        raise ImproperlyConfigured(NO_BROKER)


@checks.register()
def broker_configured(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``core.E001`` when tasks can neither run in-process nor reach a broker."""
    if tasks_unrunnable():
        return [checks.Error(NO_BROKER, id="core.E001")]
    return []

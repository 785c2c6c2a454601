"""Cross-cutting records: the ``channel`` column every historical table carries (core/history.py)."""

from django.db import models

from core.history import history_user


class HistoryChannel(models.Model):
    """Base of every historical model: through which door the change came (core/history.py)."""

    channel = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        abstract = True


def _register_moving_models() -> None:
    """Documents and screenings get their history registered here, in ``core``, so their
    historical tables do not depend on which app holds the models."""
    from simple_history import register

    from portal.models import Document, Screening, ScreeningItem

    for model in (Document, Screening, ScreeningItem):
        if not hasattr(model, "history"):
            register(model, app="core", bases=[HistoryChannel], get_user=history_user)


_register_moving_models()

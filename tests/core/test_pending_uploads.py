"""Previews waiting for a commit (core.pending_uploads): abandoned ones are swept after
MAX_AGE, on each new upload and by the hourly beat task; tested on a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core import pending_uploads
from core.tasks import sweep_pending_uploads

START = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_saved_preview_is_read_back_and_discarded():
    with time_machine.travel(START, tick=False):
        name = pending_uploads.save(b"a,b\n1,2\n")
    assert name.startswith("imports/pending/") and pending_uploads.stored_at(name) == START
    assert pending_uploads.read(name) == b"a,b\n1,2\n"
    pending_uploads.discard(name)
    assert pending_uploads.read(name) is None


def test_names_outside_the_pending_folder_are_never_read_or_deleted():
    default_storage.save("documents/keep.txt", ContentFile(b"x"))
    assert pending_uploads.read("documents/keep.txt") is None
    assert pending_uploads.read("imports/pending/../../documents/keep.txt") is None
    pending_uploads.discard("documents/keep.txt")
    assert default_storage.exists("documents/keep.txt")


def test_sweep_deletes_previews_older_than_the_max_age_only():
    with time_machine.travel(START, tick=False):
        old = pending_uploads.save(b"old")
    with time_machine.travel(START + dt.timedelta(hours=20), tick=False):
        recent = pending_uploads.save(b"recent")
    # Exactly MAX_AGE old is kept; one second more is abandoned.
    with time_machine.travel(START + pending_uploads.MAX_AGE, tick=False):
        assert pending_uploads.sweep() == 0
    with time_machine.travel(START + pending_uploads.MAX_AGE + dt.timedelta(seconds=1), tick=False):
        assert sweep_pending_uploads() == 1
    assert pending_uploads.read(old) is None
    assert pending_uploads.read(recent) == b"recent"


def test_each_new_upload_sweeps_the_abandoned_ones():
    with time_machine.travel(START, tick=False):
        old = pending_uploads.save(b"old")
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        new = pending_uploads.save(b"new")
    assert pending_uploads.read(old) is None and pending_uploads.read(new) == b"new"


@pytest.mark.django_db
def test_sweep_without_a_folder_and_beat_schedule():
    assert pending_uploads.sweep() == 0
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="core.sweep_pending_uploads")
    assert (task.interval.every, task.interval.period) == (1, "hours")


def test_older_names_without_a_stamp_use_the_storage_time():
    import os

    name = default_storage.save("imports/pending/0123abcd.bin", ContentFile(b"legacy"))
    path = default_storage.path(name)
    os.utime(path, (START.timestamp() - 3 * 86400,) * 2)
    with time_machine.travel(START, tick=False):
        assert pending_uploads.sweep() == 1
    assert not default_storage.exists(name)

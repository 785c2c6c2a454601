"""The first run of ``make run`` is quiet: the demo on the laptop default (no broker, tasks
in-process) prints its summary and the logins, never a broker warning, a raw e-mail or task
logs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.real_clock
def test_seed_demo_on_the_laptop_default_prints_no_broker_warning_nor_raw_mail(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CELERY_", "REDIS_", "DATABASE_", "DJANGO_", "ESG_TEST"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.base"

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=600, check=True)

    manage("migrate", "--noinput")
    seeded = manage("seed_demo", "--suppliers", "30", "--seed", "5", "--if-empty")
    logins = manage("demo_logins")
    printed = seeded.stdout + seeded.stderr + logins.stdout + logins.stderr
    assert "No hostname was supplied" not in printed
    assert "Content-Type:" not in printed and "Subject:" not in printed
    assert "Task " not in printed and "succeeded in" not in printed
    assert "Recalculated" in seeded.stdout
    assert "demo-admin-2026" in logins.stdout

from django_celery_beat.models import PeriodicTask

from audits.models import DeadlineRule, Provision


def test_rba_code_7_and_8_are_seeded(db):
    for version in ("7.0", "8.0"):
        codes = set(Provision.objects.filter(standard="rba", version=version).values_list("code", flat=True))
        assert len(codes) == 43
        assert {"A1", "B8", "C8", "D8", "E1", "E12"} <= codes
    assert Provision.objects.get(version="7.0", code="A2").title == "Young Workers"


def test_deadline_table_has_the_domain_defaults(db):
    rules = {r.severity: (r.cap_days, r.cap_clock, r.correction_days, r.correction_days_health_safety,
                          r.overall_limit_months) for r in DeadlineRule.objects.all()}
    assert rules == {
        "priority": (7, "discovery", 90, 30, 18),
        "major": (14, "report", 180, None, 18),
        "minor": (14, "report", 270, None, 18),
        "risk": (14, "report", 270, None, 18),
        "ofi": (None, "report", None, None, 18),
    }


def test_daily_reminder_job_is_scheduled_at_six(db):
    task = PeriodicTask.objects.get(task="audits.tasks.send_audit_reminders")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour) == ("0", "6")

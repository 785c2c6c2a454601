"""Nightly recalculation of the current and previous quarter, and closing a quarter on the
first day of the next (django-celery-beat schedules, editable in the admin)."""

from django.db import migrations

SCHEDULES = [
    ("Nightly score recalculation (current and previous quarter)", "scoring.recalculate_recent_quarters",
     {"minute": "30", "hour": "2", "day_of_month": "*", "month_of_year": "*"}),
    ("Close the previous quarter (first day of a quarter)", "scoring.close_previous_quarter",
     {"minute": "0", "hour": "4", "day_of_month": "1", "month_of_year": "1,4,7,10"}),
]


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, crontab in SCHEDULES:
        schedule, _ = CrontabSchedule.objects.get_or_create(day_of_week="*", timezone="UTC", **crontab)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": schedule})


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0002_methodology_v1"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]

"""After midnight: store the day's dashboard summaries and the official quarters' coverage
summaries (scoring.refresh_summaries; a django-celery-beat schedule, editable in the admin)."""

from django.conf import settings
from django.db import migrations

NAME = "Dashboard summaries of the new day (after midnight)"
TASK = "scoring.refresh_summaries"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(minute="5", hour="0", day_of_week="*", day_of_month="*",
                                                        month_of_year="*", timezone=settings.TIME_ZONE)
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "crontab": schedule, "enabled": True})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0013_job_progress"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audits.reminders import send_daily_reminders


class Command(BaseCommand):
    help = "Send the daily audit reminders and escalations (the same job Celery beat runs at 06:00)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as-of date YYYY-MM-DD (default: today)")

    def handle(self, *args, date=None, **options):
        try:
            as_of = dt.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"'{date}' is not a date; use YYYY-MM-DD") from None
        run = send_daily_reminders(as_of=as_of)
        self.stdout.write(run.summary())

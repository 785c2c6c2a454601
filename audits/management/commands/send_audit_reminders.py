import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from audits.reminders import send_daily_reminders
from core.quarter import today


class Command(BaseCommand):
    help = "Send the daily audit reminders and escalations (the same job Celery beat runs at 06:00)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as-of date YYYY-MM-DD, today or earlier (default: today)")

    def handle(self, *args, date=None, **options):
        current = today()
        try:
            as_of = dt.date.fromisoformat(date) if date else current
        except ValueError:
            raise CommandError(f"'{date}' is not a date; use YYYY-MM-DD") from None
        if as_of > current:
            # Reminders say what is overdue or expiring now: a future day would send warnings early.
            raise CommandError(f"{as_of.isoformat()} is after today ({current.isoformat()}); "
                               "reminders are sent for today or a past day")
        run = send_daily_reminders(as_of=as_of)
        self.stdout.write(run.summary())

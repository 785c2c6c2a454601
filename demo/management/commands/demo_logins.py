from django.core.management.base import BaseCommand

from demo.users import create_demo_users


class Command(BaseCommand):
    help = "Print the demo logins (creating them if missing)."

    def handle(self, *args, **options):
        self.stdout.write("")
        self.stdout.write("Supplier ESG Scorecard — demo logins (http://127.0.0.1:8000/):")
        for username, password, role, supplier in create_demo_users():
            extra = f"  (supplier {supplier})" if supplier else ""
            self.stdout.write(f"  {role:<20} {username:<10} / {password}{extra}")
        self.stdout.write("  API docs: http://127.0.0.1:8000/api/docs/   Admin: http://127.0.0.1:8000/admin/")
        self.stdout.write("")

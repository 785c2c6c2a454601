"""Documents and screenings now belong to the ``suppliers`` app (state only: the tables
and their rows stay where they are; see suppliers 0002)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0001_initial"),
        ("suppliers", "0002_documents_and_screenings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="ScreeningItem"),
                migrations.DeleteModel(name="Screening"),
                migrations.DeleteModel(name="Document"),
            ],
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audits", "0003_daily_reminders_schedule")]

    operations = [
        migrations.AddField(
            model_name="finding",
            name="due_on_given",
            field=models.BooleanField(default=True, verbose_name="due date given"),
        ),
    ]

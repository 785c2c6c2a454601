from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0005_changelog_into_history"),
    ]

    operations = [
        migrations.DeleteModel(name="ChangeLogEntry"),
    ]

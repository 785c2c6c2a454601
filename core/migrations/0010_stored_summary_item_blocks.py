"""Stored summaries' lists kept as blocks of items (core.summaries.ITEM_BLOCK per row) instead
of one row per item (#13), and the summary key's own index dropped (the (summary, position)
key serves it). Stored lists are deleted with their summaries, on the way forward and back
(the other layout would be misread): summaries are computed again on their next read (or by
the next recalculation or nightly refresh)."""

import django.db.models.deletion
from django.db import migrations, models


def forget_item_lists(apps, schema_editor):
    StoredSummary = apps.get_model("core", "StoredSummary")
    StoredSummaryItem = apps.get_model("core", "StoredSummaryItem")
    StoredSummaryItem.objects.all().delete()
    StoredSummary.objects.filter(item_count__gt=0).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0009_pending_upload_sweep_schedule"),
    ]

    operations = [
        migrations.RunPython(forget_item_lists, forget_item_lists),
        migrations.AlterField(
            model_name="storedsummaryitem",
            name="summary",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="items", to="core.storedsummary"),
        ),
    ]

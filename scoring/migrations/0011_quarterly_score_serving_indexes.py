"""Indexes the list endpoints' orderings need at 100,000 suppliers (#13): the scores API pages
a quarter by rank (reading only the page's ids through the index, ``scoring.api.IdPagePagination``),
the supplier list sorts a quarter by score.

Created with plain SQL rather than in the model's ``Meta`` so they stay independent of changes
to the model's own constraints. On PostgreSQL the rank index carries the id (``INCLUDE``) so a
deep page is an index-only scan; SQLite keeps the rowid in every index anyway."""

from django.db import migrations

INDEXES = {
    "scoring_qscore_quarter_rank": ("(quarter, rank) INCLUDE (id)", "(quarter, rank)"),
    "scoring_qscore_quarter_score": ("(quarter, score)", "(quarter, score)"),
}


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, (pg_columns, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON scoring_quarterlyscore "
                              f"{pg_columns if postgres else columns}")


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("scoring", "0010_third_party_lists")]

    operations = [migrations.RunPython(create, drop)]

"""Indexes the list endpoints' orderings need at 100,000 suppliers (#13): the scores API pages
a quarter by rank, the supplier list sorts a quarter by score.

Created with plain SQL (both PostgreSQL and SQLite) rather than in the model's ``Meta`` so
they stay independent of changes to the model's own constraints; ``IF NOT EXISTS`` lets a
database that already has them migrate."""

from django.db import migrations

INDEXES = {
    "scoring_qscore_quarter_rank": "(quarter, rank)",
    "scoring_qscore_quarter_score": "(quarter, score)",
}


class Migration(migrations.Migration):
    dependencies = [("scoring", "0009_history_indicator_source")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON scoring_quarterlyscore {columns}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]

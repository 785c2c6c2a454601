"""The score's methodology key without an index of its own (#13): every read of a version's
scores names the quarter too (the unique key's index serves it) and a methodology is never
deleted, so the index only slowed each recalculation's write.

Only the index is dropped. Django's ``AlterField`` of ``db_index`` would drop and re-add the
foreign key constraint. Re-adding it validates every stored score under an exclusive lock,
which would hold back reads of the scores while the migration runs."""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "scoring_quarterlyscore"
COLUMN = "methodology_id"


def _plain_indexes(schema_editor) -> list[str]:
    """The names of the indexes on the methodology column alone (not a key or constraint)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [name for name, info in constraints.items()
            if info["columns"] == [COLUMN] and info["index"] and not info["unique"] and not info["primary_key"]
            and not info["foreign_key"]]


def drop_index(apps, schema_editor):
    for name in _plain_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_index(apps, schema_editor):
    if not _plain_indexes(schema_editor):
        name = schema_editor._create_index_name(TABLE, [COLUMN])  # the name Django gave it
        schema_editor.execute(f"CREATE INDEX {schema_editor.quote_name(name)} ON {schema_editor.quote_name(TABLE)} "
                              f"({schema_editor.quote_name(COLUMN)})")


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0017_lz4_result_columns"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="quarterlyscore",
                    name="methodology",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="+", to="scoring.methodology"),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, create_index)],
        ),
    ]

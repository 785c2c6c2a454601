"""The large JSON columns a recalculation writes compressed with LZ4 instead of pglz
(PostgreSQL 14+ built ``--with-lz4``, as Debian's packages and the official images are).

A quarter of 100,000 suppliers writes 100,000 ``points`` documents of about 2.7 KB and one
coverage snapshot of about 21 MB; pglz spent several seconds of the server's CPU on them in
each recalculation (docs/benchmarks.md). The values read back are the same; rows already
stored keep their pglz data until rewritten. Nothing on SQLite, nor on a server built
without LZ4 (the columns keep the default compression).
"""

from django.db import migrations

COLUMNS = [
    ("scoring_quarterlyscore", "points"),
    ("scoring_quarterlyscore", "qbr_components"),
    ("scoring_coveragesnapshot", "data"),
]


def _lz4_available(schema_editor) -> bool:
    if schema_editor.connection.vendor != "postgresql":
        return False
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return row is not None and "lz4" in (row[0] or [])


def _set_compression(method: str):
    def apply(apps, schema_editor):
        if not _lz4_available(schema_editor):
            return
        quote = schema_editor.quote_name
        for table, column in COLUMNS:
            schema_editor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET COMPRESSION {method}")
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0016_score_write_indexes'),
    ]

    operations = [
        migrations.RunPython(_set_compression("lz4"), _set_compression("default")),
    ]

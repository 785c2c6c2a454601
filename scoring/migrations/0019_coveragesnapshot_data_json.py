"""The coverage snapshot's document in a ``json`` column instead of ``jsonb`` on PostgreSQL
(``core.jsontext.DocumentJSONField``): about 21 MB at 100,000 suppliers, written whole by each
recalculation and read whole by the summaries, so the server keeps its text instead of parsing
it into ``jsonb`` on every write and printing it back on every read (#13). The documents stored
are converted (``jsonb`` to ``json``: the same values). Changing the type resets the column's
compression, so LZ4 is set again (as migration 0017 did). A no-op on SQLite.

A process of an earlier version reads a ``json`` column as already decoded by psycopg and fails
on it: restart the web and worker processes with the migration (docker/compose.yml migrates as
the new image starts and replaces the old containers).
"""

import core.jsontext
from django.db import migrations

from core.pgcompression import lz4_for_rewrites, set_compression

COLUMNS = [("scoring_coveragesnapshot", "data")]


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0018_score_methodology_without_own_index'),
    ]

    operations = [
        # Forward: the stored documents rewritten by the type change compressed with LZ4.
        # Reversed (this step runs last then): the column LZ4 again after changing back to jsonb.
        migrations.RunPython(lz4_for_rewrites, set_compression(COLUMNS, "lz4")),
        migrations.AlterField(
            model_name='coveragesnapshot',
            name='data',
            field=core.jsontext.DocumentJSONField(),
        ),
        # Reversed (this step runs first then): the documents rewritten back to jsonb in LZ4 too.
        migrations.RunPython(set_compression(COLUMNS, "lz4"), lz4_for_rewrites),
    ]

"""The emissions estimate's document (a line per scored supplier, about 7 MB at 100,000
suppliers) in a ``json`` column instead of ``jsonb`` on PostgreSQL, compressed with LZ4
(``core.jsontext.DocumentJSONField``): written whole after each recalculation and read whole,
the server keeps its text instead of parsing it into ``jsonb`` (#13). The documents stored are
converted (the same values). A no-op on SQLite.

A process of an earlier version reads a ``json`` column as already decoded by psycopg and fails
on it: restart the web and worker processes with the migration (docker/compose.yml migrates as
the new image starts and replaces the old containers).
"""

import core.jsontext
from django.db import migrations

from core.pgcompression import lz4_for_rewrites, set_compression

COLUMNS = [("disclosure_emissionsestimate", "data")]


class Migration(migrations.Migration):

    dependencies = [
        ('disclosure', '0010_emissions_estimate_head'),
    ]

    operations = [
        # The stored documents rewritten by the type change compressed with LZ4.
        migrations.RunPython(lz4_for_rewrites, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='emissionsestimate',
            name='data',
            field=core.jsontext.DocumentJSONField(),
        ),
        # Back to jsonb, the column takes the server's default compression again, as before.
        migrations.RunPython(set_compression(COLUMNS, "lz4"), migrations.RunPython.noop),
    ]

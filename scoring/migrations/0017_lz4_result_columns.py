"""The large JSON columns a recalculation writes compressed with LZ4 instead of pglz
(PostgreSQL 14+ built ``--with-lz4``, as Debian's packages and the official images are).

A quarter of 100,000 suppliers writes 100,000 ``points`` documents of about 2.7 KB and one
coverage snapshot of about 21 MB; pglz spent several seconds of the server's CPU on them in
each recalculation (docs/benchmarks.md). The values read back are the same; rows already
stored keep their pglz data until rewritten. Nothing on SQLite, nor on a server built
without LZ4 (the columns keep the default compression).
"""

from django.db import migrations

from core.pgcompression import set_compression

COLUMNS = [
    ("scoring_quarterlyscore", "points"),
    ("scoring_quarterlyscore", "qbr_components"),
    ("scoring_coveragesnapshot", "data"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('scoring', '0016_score_write_indexes'),
    ]

    operations = [
        migrations.RunPython(set_compression(COLUMNS, "lz4"), set_compression(COLUMNS, "default")),
    ]

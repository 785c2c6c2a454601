"""LZ4 compression of large columns, for migrations (PostgreSQL 14+ built ``--with-lz4``, as
Debian's packages and the official images are; nothing on SQLite or on a server without it).

A column's compression is an attribute of the column: ``ALTER COLUMN … TYPE`` resets it to
the server's default, so a migration changing the type of an LZ4 column sets it again.
"""

from __future__ import annotations


def lz4_available(schema_editor) -> bool:
    """Whether the server can compress with LZ4 (PostgreSQL only)."""
    if schema_editor.connection.vendor != "postgresql":
        return False
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return row is not None and "lz4" in (row[0] or [])


def set_compression(columns: list[tuple[str, str]], method: str):
    """A ``RunPython`` function giving each (table, column) the compression ``method``
    (``lz4`` or ``default``) where LZ4 is available. Rows already stored keep theirs until
    rewritten."""
    def apply(apps, schema_editor):
        if not lz4_available(schema_editor):
            return
        quote = schema_editor.quote_name
        for table, column in columns:
            schema_editor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET COMPRESSION {method}")
    return apply


def lz4_for_rewrites(apps, schema_editor) -> None:
    """A ``RunPython`` function: the rest of the migration's transaction compresses with LZ4
    what it writes (``SET LOCAL default_toast_compression``), so the rows an ``ALTER COLUMN …
    TYPE`` rewrites are LZ4 as the column will be (the rewrite uses the server's default: the
    type change has just reset the column's own setting). Where LZ4 is available."""
    if lz4_available(schema_editor):
        schema_editor.execute("SET LOCAL default_toast_compression = 'lz4'")

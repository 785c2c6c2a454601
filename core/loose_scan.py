"""Distinct values of an indexed column by a loose index scan (docs/benchmarks.md, the
country filter and the quarter picker at 100,000 suppliers).

``SELECT DISTINCT column`` reads every row; a column with few distinct values and an index
that starts with it can be walked one probe per value instead: the smallest (or largest)
value, then the next one after it, until there is none. PostgreSQL has no such plan of its
own (no skip scan for ``DISTINCT``), so the walk is a recursive CTE; SQLite runs the same SQL.
"""

from __future__ import annotations

from django.db import connection, models


def distinct_values(model: type[models.Model], column: str, *, descending: bool = False, where: str = "",
                    params: list | tuple = ()) -> list:
    """The distinct non-null values of ``model``'s ``column`` (a database column name) over
    the rows matching ``where``, ascending (``descending``: descending). One query of one
    index probe per value found (plus one), when an index of the table starts with
    ``column`` (a partial index: its condition implied by ``where``).

    ``where``: an SQL condition on the table's columns, unqualified, with ``%s``
    placeholders for ``params`` (never text from a request); empty for every row. Every
    probe applies it (the first and the next-value one)."""
    table = connection.ops.quote_name(model._meta.db_table)
    name = connection.ops.quote_name(column)
    pick, beyond = ("MAX", "<") if descending else ("MIN", ">")
    first, also = (f" WHERE {where}", f" AND ({where})") if where else ("", "")
    sql = (
        f"WITH RECURSIVE walk(found) AS (SELECT {pick}({name}) FROM {table}{first} "  # noqa: S608
        f"UNION ALL SELECT (SELECT {pick}(s.{name}) FROM {table} s WHERE s.{name} {beyond} walk.found{also}) "
        "FROM walk WHERE walk.found IS NOT NULL) SELECT found FROM walk WHERE found IS NOT NULL")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *params])
        return [row[0] for row in cursor.fetchall()]

"""Reading the recorded history in tests: what the changes API shows, oldest first."""

from core.history import describe, history_rows


def changes(model, key=None, **filters) -> list[dict]:
    """``describe`` rows of ``model`` (of the object ``key``: id or natural key), oldest first;
    ``filters`` keep rows whose keys equal the given values (e.g. ``action="updated"``)."""
    rows = list(reversed(describe(model, history_rows(model, object_key=str(key) if key is not None else None))))
    return [row for row in rows if all(row[name] == value for name, value in filters.items())]

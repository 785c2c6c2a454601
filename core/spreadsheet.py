"""Spreadsheet safety of exported cells (CSV and XLSX): generic, used by every export."""

from __future__ import annotations

import re

_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell's text; text a spreadsheet would run as a formula (starting with ``=``,
    ``+``, ``-``, ``@``, tab or CR, and not a plain number) gets a leading apostrophe.
    ``None`` is the empty string."""
    text = "" if value is None else str(value)
    if text.startswith(_DANGEROUS_START) and not _NUMBER_RE.match(text):
        return "'" + text
    return text

"""Property: whatever bytes or workbook arrive, reading and importing give rows, row errors or
one file-level refusal, never another exception (a 500 in the API, a traceback in a command)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.importing import ImportFailed, ImportResult
from core.tabular import Table, UnreadableFile, read_table
from suppliers.importers import SpendImporter, SupplierImporter

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _valid_workbook() -> bytes:
    workbook = Workbook()
    workbook.active.append(["code", "name", "country", "category"])
    workbook.active.append(["S-1", "Lotus", "CN", "production"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


VALID_XLSX = _valid_workbook()


def read_outcome(data: bytes):
    try:
        return read_table(data)
    except UnreadableFile as refusal:
        return refusal


def import_outcome(importer_class, data: bytes):
    try:
        return importer_class(actor="fuzz").run(data, dry_run=True)
    except ImportFailed as failure:
        assert failure.errors and all(error.row >= 1 and error.message for error in failure.errors)
        return failure


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_read_as_a_table_or_one_refusal(data):
    outcome = read_outcome(data)
    assert isinstance(outcome, Table | UnreadableFile)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_behind_a_zip_signature_are_refused_cleanly(data):
    assert isinstance(read_outcome(b"PK\x03\x04" + data), Table | UnreadableFile)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID_XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_workbooks_are_refused_cleanly(flips):
    data = bytearray(VALID_XLSX)
    for position, value in flips:
        data[position] = value
    assert isinstance(read_outcome(bytes(data)), Table | UnreadableFile)


@pytest.mark.django_db
@FUZZ
@given(st.text(max_size=400))
def test_random_csv_text_imports_or_reports_errors(text):
    outcome = import_outcome(SupplierImporter, ("code,name,country,category\n" + text).encode())
    assert isinstance(outcome, ImportResult | ImportFailed)


CELLS = st.one_of(
    st.none(),
    st.text(max_size=12).filter(lambda text: not ILLEGAL_CHARACTERS_RE.search(text)),
    st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.sampled_from(["#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "=1+1", "=A1", "SUP-001",
                     "2026-Q3", "USD", "ＳＵＰ－００１", "\u200b"]),
)
FORMATS = st.sampled_from(["General", "0%", "0.00%", "00000", "@", "yyyy-mm-dd", "#,##0.00", '"SUP-"000',
                           "0.0%;[Red]-0.0%", "h:mm"])


@pytest.mark.django_db
@FUZZ
@given(header=st.lists(st.sampled_from(["supplier_code", "quarter", "amount", "currency", "Amount ", "notes",
                                        "amuont", ""]), min_size=1, max_size=6),
       rows=st.lists(st.lists(st.tuples(CELLS, FORMATS), max_size=6), max_size=6))
def test_random_workbooks_import_or_report_errors(header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row_number, row in enumerate(rows, start=2):
        for column, (value, number_format) in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column)
            try:
                cell.value = value
            except ValueError:
                assume(False)
            cell.number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = import_outcome(SpendImporter, buffer.getvalue())
    assert isinstance(outcome, ImportResult | ImportFailed)

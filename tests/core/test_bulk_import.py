"""Column-wise imports written in bulk (core/bulk_upsert.py, #13): the same history as the per-row
path, queries that do not grow with rows, nothing written by a re-import or a failing file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

import core.bulk_upsert
import core.tabular
from core.history import history_context
from core.importing import ImportFailed
from suppliers.importers import SpendImporter
from suppliers.models import SpendRecord, Supplier
from tests.history import changes

pytestmark = pytest.mark.django_db

HEADER = "supplier_code,quarter,amount,currency\n"


def spend_file(rows: int, *, amount=lambda index: f"{index}.5") -> bytes:
    return (HEADER + "".join(f"B-{index // 8:05d},{2025 + index % 8 // 4}-Q{index % 4 + 1},{amount(index)},USD\n"
                             for index in range(rows))).encode()


@pytest.fixture(autouse=True)
def _compare_in_memory(monkeypatch):
    """Small files here go through the comparison with the stored rows (PostgreSQL) that large
    files take; the other importer tests run the default (every row of a small file staged)."""
    monkeypatch.setattr(core.bulk_upsert, "COMPARE_MIN_ROWS", 0)


@pytest.fixture
def suppliers(db):
    Supplier.objects.bulk_create([Supplier(code=f"B-{index:05d}", name=f"Bench {index}", country="CN",
                                           category="production") for index in range(300)])


def _history_as_read(model) -> list[dict]:
    """What the changes API shows, without what differs between two writes of the same rows."""
    rows = []
    for row in changes(model):
        row = {key: value for key, value in row.items() if key not in ("object_id", "object", "at")}
        row["changes"] = {name: values for name, values in row["changes"].items() if name != "id"}
        rows.append(row)
    return sorted(rows, key=lambda row: (row["channel"], row["action"], str(row["changes"])))


def test_bulk_history_equals_what_saving_each_row_records(own_supplier, role_users):
    user = role_users["procurement_analyst"]
    first = HEADER + "OWN-1,2026-Q1,100,USD\nOWN-1,2026-Q1,-20,CNY\n"
    second = HEADER + "OWN-1,2026-Q1,120,USD\nOWN-1,2026-Q1,-20.00,CNY\nOWN-1,2026-Q2,5,EUR\n"
    with transaction.atomic():  # the per-row path, rolled back once read
        with history_context(channel="import:q1.csv", user=user, reason="import_spend"):
            usd = SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q1", currency="USD", amount=100)
            SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q1", currency="CNY", amount=-20)
        with history_context(channel="import:q1-fixed.csv", user=user, reason="import_spend"):
            usd.amount = Decimal("120")
            usd.save()
            SpendRecord.objects.create(supplier=own_supplier, quarter="2026-Q2", currency="EUR", amount=5)
        expected = _history_as_read(SpendRecord)
        transaction.set_rollback(True)
    assert not SpendRecord.history.exists()

    SpendImporter(actor=user).run(first.encode(), filename="q1.csv")
    result = SpendImporter(actor=user).run(second.encode(), filename="q1-fixed.csv")
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    recorded = _history_as_read(SpendRecord)
    assert recorded == expected
    assert [row["changes"] for row in recorded if row["action"] == "updated"] == [{"amount": ["100.0000", "120.0000"]}]
    assert {(row["channel"], row["user"], row["reason"]) for row in recorded} == {
        ("import:q1.csv", "procurement_analyst", "import_spend"),
        ("import:q1-fixed.csv", "procurement_analyst", "import_spend")}


def test_the_queries_of_an_import_do_not_grow_with_its_rows(suppliers):
    counts = []
    for rows in (8, 2000):  # both files span the same 8 quarters
        SpendRecord.objects.all().delete()
        with CaptureQueriesContext(connection) as created:
            assert SpendImporter(actor="test").run(spend_file(rows)).created == rows
        with CaptureQueriesContext(connection) as updated:
            assert SpendImporter(actor="test").run(spend_file(rows, amount=str)).updated == rows
        counts.append((len(created), len(updated)))
    assert counts[0] == counts[1]
    # On PostgreSQL the stored rows are read once per quarter of the file (8 here).
    assert max(counts[0]) <= 30


def _row_versions():
    if connection.vendor != "postgresql":
        return list(SpendRecord.objects.order_by("pk").values_list("pk", "amount"))
    # xmin names the transaction that wrote the row version: a rewrite changes it.
    return list(SpendRecord.objects.order_by("pk").annotate(version=RawSQL("xmin::text", []))
                .values_list("pk", "amount", "version"))


def test_a_reimport_writes_nothing(suppliers):
    data = spend_file(500)
    assert SpendImporter(actor="test").run(data).created == 500
    before, history = _row_versions(), SpendRecord.history.count()
    result = SpendImporter(actor="test").run(data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 500)
    assert _row_versions() == before
    assert SpendRecord.history.count() == history == 500


def test_a_failing_row_anywhere_leaves_nothing_written(suppliers, monkeypatch):
    monkeypatch.setattr(core.tabular, "CSV_BLOCK_BYTES", 512)  # many batches: the errors come late
    SpendImporter(actor="test").run(spend_file(100))
    before, history = _row_versions(), SpendRecord.history.count()
    rows = spend_file(2000, amount=lambda index: "1e5" if index == 1900 else str(index)).decode().splitlines()
    rows[1500] = rows[1500].replace("B-00", "X-00", 1)
    rows.append(rows[1000])
    with pytest.raises(ImportFailed) as failure:
        SpendImporter(actor="test").run(("\n".join(rows) + "\n").encode())
    assert [str(error) for error in failure.value.errors] == [
        "row 1501, column supplier_code: unknown supplier code 'X-00187'",
        "row 1902, column amount: '1e5' is not a number (use digits with a dot as decimal separator)",
        "row 2002, column currency: duplicate of row 1001 (B-00124, 2026-Q4, USD)",
    ]
    assert _row_versions() == before
    assert SpendRecord.history.count() == history


def test_a_ragged_or_quoted_file_reads_as_the_row_reader_reads_it(suppliers):
    plain = HEADER + "B-00001,2026-Q1,10,USD\n\nB-00002,2026-Q1,20,USD\n"
    ragged = HEADER + "B-00001,2026-Q1,10,USD\nB-00002,2026-Q1,20,USD,\n"
    quoted = HEADER + 'B-00001,2026-Q1,"10",USD\n"B-00002",2026-Q1,"2\n0",USD\n'
    assert SpendImporter(actor="test").run(plain.encode()).created == 2
    assert SpendImporter(actor="test").run(ragged.encode()).unchanged == 2
    with pytest.raises(ImportFailed) as failure:
        SpendImporter(actor="test").run(quoted.encode())
    assert [str(error) for error in failure.value.errors] == [
        "row 3, column amount: '2\n0' is not a number (use digits with a dot as decimal separator)"]
    with pytest.raises(ImportFailed) as failure:
        SpendImporter(actor="test").run((HEADER + "B-00001,2026-Q1,10,USD\n\n   \nB-00404,2026-Q1,5,USD\n").encode())
    assert [str(error) for error in failure.value.errors] == [
        "row 5, column supplier_code: unknown supplier code 'B-00404'"]


def test_a_csv_broken_after_its_first_batch_is_refused_as_the_row_reader_refuses_it(suppliers, monkeypatch):
    monkeypatch.setattr(core.tabular, "BATCH_ROWS", 10)
    text = spend_file(40).decode() + 'B-00001,2026-Q1,"10"x,USD\n'
    with pytest.raises(ImportFailed) as failure:
        SpendImporter(actor="test").run(text.encode())
    assert [str(error) for error in failure.value.errors] == [
        "row 1, column -: row 42: the CSV cannot be parsed (',' expected after '\"')"]
    assert not SpendRecord.objects.exists()


def test_cells_are_trimmed_as_str_strip_trims():
    assert "".join(chr(code) for code in range(0x110000) if chr(code).isspace()) == core.tabular.PYTHON_WHITESPACE


def test_each_repeat_of_a_key_names_its_first_row_across_batches(suppliers, monkeypatch):
    monkeypatch.setattr(core.tabular, "CSV_BLOCK_BYTES", 512)  # the repeats fall in other batches
    rows = spend_file(300).decode().splitlines()
    rows += [rows[5], rows[5].replace(",USD", ",CNY"), rows[5], rows[7]]  # lines 302–305
    with pytest.raises(ImportFailed) as failure:
        SpendImporter(actor="test").run(("\n".join(rows) + "\n").encode())
    assert [str(error) for error in failure.value.errors] == [
        "row 302, column currency: duplicate of row 6 (B-00000, 2026-Q1, USD)",
        "row 304, column currency: duplicate of row 6 (B-00000, 2026-Q1, USD)",
        "row 305, column currency: duplicate of row 8 (B-00000, 2026-Q3, USD)",
    ]
    assert not SpendRecord.objects.exists()


def test_a_reimport_finds_each_changed_amount_exactly(suppliers):
    first = HEADER + ("B-00001,2026-Q1,99999999999.9999,USD\nB-00001,2026-Q2,100,USD\n"
                      "B-00002,2026-Q1,0.0001,CNY\nB-00002,2026-Q2,-5.5,USD\nB-00003,2026-Q3,7,USD\n")
    SpendImporter(actor="test").run(first.encode())
    second = HEADER + ("B-00001,2026-Q1,99999999999.9998,USD\nB-00001,2026-Q2,100.0000,USD\n"
                       "B-00002,2026-Q1,0.0002,CNY\nB-00002,2026-Q2,-5.50,USD\nB-00002,2026-Q2,1,EUR\n")
    result = SpendImporter(actor="test").run(second.encode())
    assert (result.created, result.updated, result.unchanged) == (1, 2, 2)
    assert sorted(SpendRecord.objects.values_list("supplier__code", "quarter", "currency", "amount")) == [
        ("B-00001", "2026-Q1", "USD", Decimal("99999999999.9998")),
        ("B-00001", "2026-Q2", "USD", Decimal("100")),
        ("B-00002", "2026-Q1", "CNY", Decimal("0.0002")),
        ("B-00002", "2026-Q2", "EUR", Decimal("1")),
        ("B-00002", "2026-Q2", "USD", Decimal("-5.5")),
        ("B-00003", "2026-Q3", "USD", Decimal("7")),  # a quarter the file does not name: untouched
    ]
    assert sorted(SpendRecord.history.filter(history_type="~").values_list("amount", flat=True)) == [
        Decimal("0.0002"), Decimal("99999999999.9998")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers by itself")
def test_other_writers_of_the_table_wait_from_the_read_of_the_stored_rows_to_the_commit(suppliers, monkeypatch):
    import psycopg
    from psycopg import errors

    from core.bulk_upsert import Staging

    SpendImporter(actor="test").run(spend_file(16))
    settings = connection.settings_dict
    refused = []
    compare = Staging._unchanged

    def compare_then_write_from_elsewhere(self, rows):
        unchanged = compare(self, rows)
        with psycopg.connect(dbname=settings["NAME"], host=settings["HOST"], port=settings["PORT"] or None,
                             user=settings["USER"], password=settings["PASSWORD"] or None) as other:
            other.execute("SET lock_timeout = '200ms'")
            try:
                other.execute("UPDATE suppliers_spendrecord SET amount = amount + 1")
            except errors.LockNotAvailable:
                refused.append(True)
        return unchanged

    monkeypatch.setattr(Staging, "_unchanged", compare_then_write_from_elsewhere)
    result = SpendImporter(actor="test").run(spend_file(16, amount=lambda index: f"{index}.5" if index else "9"))
    assert refused == [True]
    assert (result.created, result.updated, result.unchanged) == (0, 1, 15)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored rows are compared in memory on PostgreSQL")
def test_the_stored_columns_joined_by_the_server_are_the_rows_a_copy_reads(suppliers):
    from core.bulk_upsert import UNIT_SEPARATOR, _stored_columns
    from core.frames import read_arrow

    Supplier.objects.filter(code="B-00002").update(name=f"Split{UNIT_SEPARATOR}name")
    spec = [("id", "int64"), ("code", "object"), ("name", "object")]

    def both(queryset, attnames):  # each as rows ordered by id (the server joins in scan order)
        with CaptureQueriesContext(connection) as queries:
            joined = _stored_columns(queryset, attnames, spec)
        sent.append([query["sql"].split()[0] for query in queries])
        copied = read_arrow(queryset.values_list(*attnames), spec)
        return [sorted(table.to_pylist(), key=lambda row: row["id"]) for table in (joined, copied)]

    sent = []
    joined, copied = both(Supplier.objects.filter(code__lt="B-00002").order_by("id"), ["id", "code", "name"])
    assert len(joined) == 2 and joined == copied and sent == [["SELECT"]]  # one row of joined texts
    # A separator inside a value: the column does not align, the rows are read by COPY.
    joined, copied = both(Supplier.objects.filter(code__lte="B-00003").order_by("id"), ["id", "code", "name"])
    assert joined[2]["name"] == f"Split{UNIT_SEPARATOR}name" and joined == copied and sent[-1] == ["SELECT", "COPY"]
    # A nullable column (the tier): read by COPY, so NULL stays NULL.
    spec[2] = ("tier", "object")
    joined, copied = both(Supplier.objects.filter(code__lt="B-00002").order_by("id"), ["id", "code", "tier"])
    assert [row["tier"] for row in joined] == [None, None] and joined == copied and sent[-1] == ["COPY"]
    assert _stored_columns(Supplier.objects.filter(code="none"), ["id", "code", "name"],
                           [*spec[:2], ("name", "object")]) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored rows are compared in memory on PostgreSQL")
def test_reads_ahead_see_the_transaction_and_give_each_read_in_order(suppliers):
    from core.bulk_upsert import UNIT_SEPARATOR, _ReadAhead, _stored_columns

    SpendImporter(actor="test").run(spend_file(16))
    Supplier.objects.filter(code="B-00002").update(name=f"Split{UNIT_SEPARATOR}name")
    spec = [("id", "int64"), ("code", "object"), ("name", "object")]
    reads = [(SpendRecord.objects.filter(quarter=quarter).order_by(), ["supplier_id", "quarter", "amount"],
              [("supplier_id", "int64"), ("quarter", "object"), ("amount", "object")])
             for quarter in ("2025-Q1", "2019-Q1", "2026-Q4")]
    reads.append((Supplier.objects.filter(code__lte="B-00003").order_by(), ["id", "code", "name"], spec))  # COPY
    reads.append((Supplier.objects.filter(code__lt="B-00002").order_by(), ["id", "code", "tier"],  # nullable: COPY
                  [*spec[:2], ("tier", "object")]))
    with transaction.atomic():
        # Not committed: a thread's read sees it, as it reads on this transaction's connection.
        SpendRecord.objects.filter(quarter="2025-Q1").update(amount=Decimal("7.25"))
        with CaptureQueriesContext(connection) as queries, _ReadAhead(reads) as ahead:
            tables = list(ahead)
        expected = [_stored_columns(*read) for read in reads]
        transaction.set_rollback(True)
    assert [None if table is None else table.num_rows for table in tables] == [2, None, 2, 4, 2]
    for table, same in zip(tables, expected, strict=True):
        assert table == same or (table is None and same is None)
    assert set(tables[0]["amount"].to_pylist()) == {"7.2500"}
    assert {row["code"]: row["name"] for row in tables[3].to_pylist()}["B-00002"] == f"Split{UNIT_SEPARATOR}name"
    assert [query["sql"].split()[0] for query in queries] == ["SELECT"] * 4 + ["COPY", "COPY"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored rows are compared in memory on PostgreSQL")
def test_an_error_of_a_read_ahead_is_raised_where_it_is_taken_and_nothing_is_left_running(suppliers):
    from django.db import DatabaseError

    from core.bulk_upsert import _ReadAhead

    spec = [("supplier_id", "int64"), ("quarter", "object")]
    failing = SpendRecord.objects.filter(quarter=RawSQL("CAST(%s AS integer)::text", ["not a number"])).order_by()
    reads = [(SpendRecord.objects.order_by(), ["supplier_id", "quarter"], spec),
             (failing, ["supplier_id", "quarter"], spec),
             (SpendRecord.objects.order_by(), ["supplier_id", "quarter"], spec)]
    with transaction.atomic():
        ahead = _ReadAhead(reads)
        with pytest.raises(DatabaseError, match="invalid input syntax"), ahead:
            assert next(ahead) is None  # no spend stored yet
            next(ahead)
        assert ahead._pending is None or ahead._pending.done()
        transaction.set_rollback(True)
    assert SpendRecord.objects.count() == 0  # the connection is usable after the rollback


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored rows are compared in memory on PostgreSQL")
def test_a_file_longer_than_the_comparison_holds_is_staged_as_it_comes(suppliers, monkeypatch):
    SpendImporter(actor="test").run(spend_file(16))
    changed = spend_file(16, amount=lambda index: f"{index}.5" if index else "9")
    for limit, compared in ((16, True), (15, False)):
        monkeypatch.setattr(core.bulk_upsert, "COMPARE_MAX_ROWS", limit)
        with CaptureQueriesContext(connection) as queries:
            result = SpendImporter(actor="test").run(changed, dry_run=True)
        assert (result.created, result.updated, result.unchanged) == (0, 1, 15)
        assert any("STRING_AGG" in query["sql"] for query in queries) is compared
        assert any("LOCK TABLE" in query["sql"] for query in queries) is compared

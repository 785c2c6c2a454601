import io

import pytest
from openpyxl import Workbook

from core.tabular import UncomputedFormula, UnreadableFile, read_table


def test_utf8_with_bom_and_chinese_names():
    data = "\ufeffcode,name\nS-1,深圳华强\n".encode()
    table = read_table(data)
    assert table.header == ["code", "name"]
    assert table.rows == [(2, ["S-1", "深圳华强"])]


def test_gb18030_is_detected_by_content():
    data = "code,name\nS-1,江苏精密制造有限公司\nS-2,深圳华强电子有限公司\n".encode("gb18030")
    assert read_table(data).rows[0][1] == ["S-1", "江苏精密制造有限公司"]


def test_xlsx_is_detected_by_content_not_extension():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "amount", "flag"])
    sheet.append(["S-1", 12.5, True])
    sheet.append(["S-2", 3, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue())
    assert table.header == ["code", "amount", "flag"]
    assert table.rows == [(2, ["S-1", "12.5", "true"]), (3, ["S-2", "3"])]


def test_line_numbers_count_the_header_as_one_and_skip_blank_lines():
    table = read_table(b"a,b\n1,2\n\n3,4\n")
    assert [line for line, _ in table.rows] == [2, 4]


def test_quoted_newline_keeps_the_starting_line_number():
    table = read_table(b'a,b\n"x\ny",2\n3,4\n')
    assert [line for line, _ in table.rows] == [2, 4]


@pytest.mark.parametrize("data", [b"", b"   \n", b"\xd0\xcf\x11\xe0rest", b"\xff\xfe\x00\xd8\x00"])
def test_unreadable_files_are_refused(data):
    with pytest.raises(UnreadableFile):
        read_table(data)


def test_an_xlsx_formula_without_a_computed_value_is_marked_not_read_as_empty():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "score"])
    sheet.append(["A-1", "=100+50"])
    sheet.append(["A-2", 120])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue())
    assert table.rows == [(2, ["A-1", "=100+50"]), (3, ["A-2", "120"])]
    assert isinstance(table.rows[0][1][1], UncomputedFormula)


@pytest.mark.parametrize("data", [
    "code,name\nS-1,Müller GmbH\nS-2,深圳华强电子\n".encode(),
    "\ufeffcode,name\nS-1,Müller GmbH\nS-2,深圳华强电子\n".encode(),
    "code,name\nS-1,江苏精密制造有限公司\nS-2,深圳华强电子有限公司\n".encode("gb18030"),
    "sep=;\ncode;name\nS-1;江苏精密制造有限公司\nS-2;深圳华强电子有限公司\n".encode("gb18030"),
    b"code,name\nS-1,ACME\n",
], ids=["utf8", "utf8-bom", "gb18030", "gb18030-sep", "ascii"])
def test_read_columns_fast_path_reads_each_encoding_as_read_table(data):
    from core.tabular import read_columns

    columns = read_columns(data)
    assert columns._fast is not None  # the pyarrow reader, handed UTF-8 bytes
    table = read_table(data)
    assert columns.header == table.header
    rows = []
    for batch in columns.batches():
        cells = [column.to_pylist() for column in batch.cells]
        rows += [(int(line), [column[index] for column in cells]) for index, line in enumerate(batch.lines)]
    assert rows == table.rows

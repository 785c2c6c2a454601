"""The scores CSV cell rules (contract.md): a formula start gets a leading apostrophe, and a
cell holding ';' or a tab is quoted so a spreadsheet splitting on them keeps it whole."""

import csv
import io

import pytest

from reports.scores_csv import csv_line, safe_cell


@pytest.mark.parametrize(("cells", "line"), [
    (["S-1", "Plain", "70.00"], "S-1,Plain,70.00\n"),
    (["S-2", "Müller; Söhne", "open_priority_finding;termination_review"],
     'S-2,"Müller; Söhne","open_priority_finding;termination_review"\n'),
    (["S-3", "Tab\there"], 'S-3,"Tab\there"\n'),
    (["S-4", 'Say "hi", then'], 'S-4,"Say ""hi"", then"\n'),
    (["S-5", safe_cell("=HYPERLINK(1;2)")], "S-5,\"'=HYPERLINK(1;2)\"\n"),
    (["S-6", safe_cell("-12.50")], "S-6,-12.50\n"),
])
def test_cells_are_quoted_where_a_spreadsheet_would_split_them(cells, line):
    assert csv_line(cells) == line
    assert next(csv.reader(io.StringIO(line))) == cells  # values unchanged

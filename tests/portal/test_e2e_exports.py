"""In the browser: filter the findings board, click "Export CSV", read the downloaded file."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from tests.portal.test_e2e import browser, log_in, page, pytestmark, shots, sync_api  # noqa: F401 (fixtures)


def test_filtered_findings_export_downloads_the_rows_shown(world, page, shots):  # noqa: F811
    log_in(page, "procurement_analyst", "pw-procurement_analyst")
    page.goto("/findings/")
    page.select_option("select[name=status]", "all")
    page.select_option("select[name=severity]", "major")
    page.click("button:has-text('Filter')")
    page.wait_for_load_state()
    shown = [text.strip() for text in page.locator("table tbody tr td a[href^='/findings/']").all_inner_texts()]
    assert shown == ["F-OWN-1"]
    shots(page, "findings-export")
    with page.expect_download() as info:
        page.click("a:has-text('Export CSV')")
    download = info.value
    assert download.suggested_filename == f"findings-{world.today.isoformat()}.csv"
    data = Path(download.path()).read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0][:2] == ["Finding", "Zero tolerance"]
    assert [row[0] for row in rows[1:]] == shown
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Supplier"] == "深圳华强电子有限公司" and record["Severity"] == "Major"
    assert record["Correction due"] == world.own_finding.correction_due_on.isoformat()

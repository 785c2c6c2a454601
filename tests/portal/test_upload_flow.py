"""The one upload → preview → commit flow (``portal.views.upload_flow``) behind the
third-party list and the smelter list imports: both doors go through it and answer alike
(docs/industry-files.md)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core import roles
from disclosure.models import Smelter
from portal.views import upload_flow
from scoring.models import IndicatorValue

pytestmark = pytest.mark.django_db

DOORS = {
    "smelters": ("/scorecard/smelters/", "/scorecard/smelters/commit/", {}, "list.csv",
                 "smelter_id,metal,name,country,status,as_of\nCID000001,tin,Alpha Tin,Indonesia,conformant,"
                 "2026-01-01\n"),
    "sbti": ("/scorecard/lists/", "/scorecard/lists/commit/", {"kind": "sbti"}, "sbti.csv",
             "Company Name,Location,Near term - Target Status\nAcme Components GmbH,Germany,Committed\n"),
}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.parametrize("door", DOORS)
def test_both_imports_preview_and_commit_through_the_one_flow(client_as, make_supplier, monkeypatch, door):
    make_supplier("ACME", legal_name="Acme Components GmbH", country="DE")
    page_url, commit_url, fields, name, text = DOORS[door]
    calls = []
    for step in ("preview", "commit"):
        real = getattr(upload_flow, step)

        def spy(*args, _real=real, _step=step, **kwargs):
            calls.append(_step)
            return _real(*args, **kwargs)

        monkeypatch.setattr(upload_flow, step, spy)
    client = client_as(roles.PROCUREMENT_ANALYST)
    page = client.post(page_url, {**fields, "file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})
    assert page.status_code == 200 and page.context["file_name"] == name
    assert not Smelter.objects.exists() and not IndicatorValue.objects.exists()  # a dry run writes nothing
    token = page.context["token"]
    committed = client.post(commit_url, {"token": token})
    assert committed.status_code == 302
    assert Smelter.objects.count() + IndicatorValue.objects.count() == 1
    again = client.post(commit_url, {"token": token})
    assert again.status_code == 302 and again.url == page_url
    assert calls == ["preview", "commit", "commit"]

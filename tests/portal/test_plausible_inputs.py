"""Portal value submissions follow the plausible-dates rule of imports and the API."""

from __future__ import annotations

import datetime as dt

import time_machine

from core import roles
from scoring.models import IndicatorValue


def test_a_supplier_cannot_submit_a_value_for_a_future_quarter(client_as):
    client = client_as(roles.SUPPLIER_USER)
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC), tick=False):
        response = client.post("/suppliers/OWN-1/values/", {"quarter": "2028-Q1", "indicator": "ENV-06",
                                                             "value": "50"})
        assert response.status_code == 400
        assert "2028-Q1 is after the current quarter 2026-Q4" in response.content.decode()
        assert not IndicatorValue.objects.exists()
        accepted = client.post("/suppliers/OWN-1/values/", {"quarter": "２０２６－Ｑ４", "indicator": "ENV-06",
                                                             "value": "50"})
        assert accepted.status_code == 302
        assert IndicatorValue.objects.get().quarter == "2026-Q4"

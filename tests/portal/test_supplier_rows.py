"""The supplier list's rows written by ``portal_tags.supplier_row`` (#13) are the markup the
template wrote cell by cell before: the reference (supplier_rows_reference.html), rendered by the template engine for
every row of the same pages (each role, both languages, names that need escaping, a
termination review, flags, a change up and down, an unscored supplier)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import engines
from django.utils import translation

from scoring.models import QuarterlyScore
from suppliers.models import Supplier

# The rows as templates/portal/supplier_list.html wrote them before supplier_row.
REFERENCE = (Path(__file__).parent / "supplier_rows_reference.html").read_text(encoding="utf-8")


def _rows(html: str) -> str:
    return html[html.index("<tbody>") + len("<tbody>"):html.index("</tbody>")]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("role", ["procurement_analyst", "procurement_admin", "viewer", "supplier_user"])
def test_rows_are_the_markup_the_template_wrote(role, language, world, client_as, make_supplier):
    own = QuarterlyScore.objects.get(supplier__code="OWN-1", quarter=str(world.quarter))
    QuarterlyScore.objects.filter(pk=own.pk).update(flags_text="termination_review;no_valid_audit;open_priority_finding")
    Supplier.objects.filter(code="OWN-1").update(termination_review=True, name='Tom & "Jerry" <Ltd>')
    other = QuarterlyScore.objects.get(supplier__code="OTHER-1", quarter=str(world.quarter))
    for supplier, delta in (("OWN-1", Decimal("5")), ("OTHER-1", Decimal("-2.5"))):
        score = QuarterlyScore.objects.get(supplier__code=supplier, quarter=str(world.quarter))
        score.pk, score.quarter, score.score = None, str(world.quarter.previous()), score.score - delta
        score.save()
    QuarterlyScore.objects.filter(pk=other.pk).update(flags_text="termination_review;low_completeness")
    make_supplier("Q&A-1", name="<b>Suspended</b>", status="suspended", category="non_production")
    make_supplier("Ü 1?#%", name="Quoted code")
    client = client_as(role)
    for url in (f"/suppliers/?quarter={world.quarter}&sort=-score", "/suppliers/", "/suppliers/?sort=name&status=",
                f"/suppliers/?quarter={world.quarter}&flag=termination_review"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        page = response.content.decode()
        with translation.override(response.wsgi_request.LANGUAGE_CODE):
            reference = engines["django"].from_string(REFERENCE).render(response.context[0].flatten(),
                                                                         request=response.wsgi_request)
        assert _rows(page) == reference
        rows = re.findall(r"<tr>", reference)
        assert len(rows) == len(response.context["page"].object_list) > 0
    if role != "supplier_user":
        assert "Tom &amp; &quot;Jerry&quot; &lt;Ltd&gt;" in page and "+5.00" in _rows(client.get(
            f"/suppliers/?quarter={world.quarter}").content.decode())

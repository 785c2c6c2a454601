"""The supplier page's rows written by ``portal_tags`` (``indicator_row``, ``audit_row``,
``subscore_row``, ``gain_item``, ``site_row``) are the markup templates/portal/supplier_detail.html wrote cell
by cell before: the references (*_reference.html next to this file), rendered by the template
engine on the same rows. Made-up rows walk every branch (each point status, source and kind of
evidence, None values, text that needs escaping, numbers written in several ways) in both
languages; the served page is checked for each role, whose rows are the same markup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import translation

from audits import dates
from audits.models import Audit, AuditStatus, AuditType
from core.quarter import Quarter
from scoring.breakdown import BreakdownRow, Gain
from scoring.models import IndicatorValue, ValueOrigin
from suppliers.models import Site

HERE = Path(__file__).parent
# The rows as templates/portal/supplier_detail.html wrote them before the two tags.
INDICATOR_REFERENCE = (HERE / "indicator_rows_reference.html").read_text(encoding="utf-8")
AUDIT_REFERENCE = (HERE / "audit_rows_reference.html").read_text(encoding="utf-8")
SUBSCORE_REFERENCE = (HERE / "subscore_rows_reference.html").read_text(encoding="utf-8")
GAIN_REFERENCE = (HERE / "gain_items_reference.html").read_text(encoding="utf-8")
SITE_REFERENCE = (HERE / "site_rows_reference.html").read_text(encoding="utf-8")
INDICATOR_ROWS = "{% load portal_tags %}  {% for r in card.rows %}{% indicator_row r %}{% endfor %}\n"
AUDIT_ROWS = "{% load portal_tags %}  {% for a in audits.object_list %}{% audit_row a %}{% endfor %}\n"
SUBSCORE_ROWS = "{% load portal_tags %}  {% for subscore in card.subscores %}{% subscore_row subscore %}{% endfor %}\n"
GAIN_ITEMS = "{% load portal_tags %}{% for g in card.gains %}{% gain_item g %}{% endfor %}\n"
SITE_ROWS = "{% load portal_tags %}  {% for site, c in sites %}{% site_row site c %}{% endfor %}\n"
LANGUAGES = ["en", "zh-hans"]


def _render(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


def _value(source="", origin=ValueOrigin.IMPORT, evidence="", quarter="2026-Q1") -> IndicatorValue:
    return IndicatorValue(source=source, origin=origin, evidence_ref=evidence, quarter=quarter, value="")


def _row(code, status="value", raw=None, *, title="", category="rba", weight=Decimal("5"), source="reported",
         points=None, contribution=None, value=None) -> BreakdownRow:
    return BreakdownRow(code=code, title=title, category=category, weight=weight, source=source, status=status,
                        raw=raw, points=points, contribution=contribution, value=value)


def _indicator_rows() -> list[BreakdownRow]:
    return [
        _row("ECO-01", raw=60, category="ecovadis", weight=Decimal("7"), source="ecovadis", points=60.0,
             contribution=4.2, value=_value("EcoVadis 2026", evidence="https://example.com/a?b=1&c=<2>")),
        _row("ENV-01", raw=True, category="environment", weight=Decimal("2.5"), points=100.0, contribution=2.5,
             value=_value(origin=ValueOrigin.SUPPLIER, evidence="document:12")),
        _row("ENV-01", raw="false", category="environment", weight=Decimal("2.50"), points=0.0, contribution=0.0,
             value=_value(origin=ValueOrigin.PROCUREMENT, evidence="http://example.org/x y")),
        _row("ENV-04", raw="near_term_validated", category="environment", points=75.0, contribution=1.25,
             value=_value("SBTi <dashboard> & co", evidence="plain <text> & \"more\"", quarter=Quarter(2025, 4))),
        _row("ENV-05", raw=-3.456, category="environment", weight=Decimal("0.125"), points=55.5,
             contribution=0.123456, value=_value("CDP", evidence="document:abc")),
        _row("ENV-06", raw="66.6667", category="environment", weight=Decimal("1.0005"), points=66.6667,
             contribution=12.3456, value=_value("Meter", evidence="")),
        _row("RBA-01", raw=Decimal("50"), source="audit", points=50.0, contribution=3.0),
        _row("RBA-02", raw=Decimal("130.5"), source="audit", weight=Decimal("6.000"), points=65.25, contribution=0),
        _row("RBA-03", status="missing", source="audit"),
        _row("RBA-07", raw="HIGH", points=0.0, contribution=0.0),
        _row("MIN-01", status="not_applicable", category="minerals", weight=Decimal("0")),
        _row("MIN-02", status="missing", category="minerals", value=_value("Smelter list", evidence="document:7")),
        _row("ECO-02", status="scored", category="ecovadis", points=12.5),
        _row("ENV-08", raw=None, category="environment", points=None, contribution=None),
        _row("ENV-09", raw="  ", category="environment", value=_value(origin=ValueOrigin.IMPORT)),
        _row("X-<1>", raw="<b>odd</b> & so", title='Tom & "Jerry" <custom>', category="custom&cat",
             weight=Decimal("3.14159"), source="", points=33.333, contribution=1.0),
        _row("x-2", raw="12.5", title="", category="", weight=Decimal("1E+1"), source="reported", points=1e-9),
    ]


def _audits() -> list[Audit]:
    refs = ["AUD-1", "A&B <2>", "Ü?#%", "R 4", "AUD-'5'"]
    dates = [None, dt.date(2025, 3, 4), dt.date(999, 1, 9), dt.date(2024, 12, 31)]
    scores = [None, Decimal("170.50"), Decimal("170.5"), Decimal("0"), Decimal("1E+2"), Decimal("200.00")]
    sites = [Site(code="S-1"), Site(code='S<2>&"')]
    audits = []
    kinds, statuses = list(AuditType.values), list(AuditStatus.values)
    for n in range(max(len(kinds), len(statuses), len(refs), len(scores))):
        audit = Audit(audit_ref=f"{refs[n % len(refs)]}{n}", site=sites[n % 2], audit_type=kinds[n % len(kinds)],
                      status=statuses[n % len(statuses)], conducted_on=dates[n % len(dates)],
                      score=scores[n % len(scores)])
        audit.open_findings, audit.all_findings = n % 3, n * 4567
        audits.append(audit)
    return audits


@pytest.mark.parametrize("language", LANGUAGES)
def test_indicator_rows_are_the_markup_the_template_wrote(language):
    context = {"card": SimpleNamespace(rows=_indicator_rows())}
    with translation.override(language):
        reference = _render(INDICATOR_REFERENCE, context)
        assert _render(INDICATOR_ROWS, context) == reference
    assert reference.count("<tr>") == len(context["card"].rows)


def test_indicator_rows_hold_every_branch():
    with translation.override("en"):
        rows = _render(INDICATOR_ROWS, {"card": SimpleNamespace(rows=_indicator_rows())})
    for markup in ('<span class="badge warn">missing</span>', '<span class="badge">not applicable</span>',
                   '<span class="badge">scored</span>', "<td>audits</td>", '<a href="#audits-h">audits</a>',
                   "<td>reported</td>", "Submitted by the supplier", "(2025-Q4)", 'rel="noopener noreferrer"',
                   "/documents/12/download/", "plain &lt;text&gt; &amp; &quot;more&quot;", "document:abc",
                   '<span class="nowrap">66.7 %</span>', "Near-term targets validated", "<td>yes</td>",
                   "Tom &amp; &quot;Jerry&quot; &lt;custom&gt;", '<td class="num">2.500</td>',
                   '<td class="num">1.001</td>', '<td class="num">7</td>', '<td class="num">—</td>'):
        assert markup in rows


@pytest.mark.parametrize("language", LANGUAGES)
def test_audit_rows_are_the_markup_the_template_wrote(language):
    context = {"audits": SimpleNamespace(object_list=_audits())}
    with translation.override(language):
        reference = _render(AUDIT_REFERENCE, context)
        assert _render(AUDIT_ROWS, context) == reference
        # Numbers already written once in this language come out the same the second time.
        assert _render(AUDIT_ROWS, context) == reference
    assert reference.count("<tr>") == len(context["audits"].object_list)
    for markup in ("170.50", "170.5<", "0999-01-09", "<td>—</td>", "A&amp;B%20%3C2%3E", "S&lt;2&gt;&amp;&quot;"):
        assert markup in reference


@pytest.mark.parametrize("language", LANGUAGES)
def test_subscore_rows_are_the_markup_the_template_wrote(language):
    subscores = [("rba", "RBA compliance", Decimal("40"), Decimal("71.25")), ("environment", "", Decimal("25.5"), None),
                 ("minerals", "", Decimal("12.49"), Decimal("0")), ("ecovadis", "", Decimal("0"), Decimal("100.00")),
                 ("esg_disclosure", "", Decimal("7.5"), 33.3333), ("<new & odd>", "", Decimal("1E+1"), 5)]
    context = {"card": SimpleNamespace(subscores=subscores)}
    with translation.override(language):
        reference = _render(SUBSCORE_REFERENCE, context)
        assert _render(SUBSCORE_ROWS, context) == reference
    assert reference.count("<tr>") == len(subscores)
    for markup in ('<td class="num">26</td>', '<td class="num">8</td>', '<td class="num">10</td>',
                   "&lt;new &amp; odd&gt;"):
        assert markup in reference


@pytest.mark.parametrize("language", LANGUAGES)
def test_gain_items_are_the_markup_the_template_wrote(language):
    gains = [Gain(code="ECO-01", title="EcoVadis overall score", points=None, gain=7.2857),
             Gain(code="RBA-03", title="", points=0.0, gain=5.21),
             Gain(code="ENV-05", title="", points=66.666, gain=0.004),
             Gain(code="X-<1>", title='Tom & "Jerry"', points=12.5, gain=100.0)]
    context = {"card": SimpleNamespace(gains=gains)}
    with translation.override(language):
        reference = _render(GAIN_REFERENCE, context)
        assert _render(GAIN_ITEMS, context) == reference
    assert reference.count("<li>") == len(gains)
    assert "Tom &amp; &quot;Jerry&quot;" in reference and "7.29" in reference and "66.67" in reference


def _sites() -> tuple[list, dict]:
    day = dt.date(2026, 5, 18)
    cycles = [None, {"status": dates.VALID, "valid_until": day}, {"status": dates.EXPIRING, "valid_until": day},
              {"status": dates.EXPIRED, "valid_until": None}, {"status": dates.NEVER_AUDITED, "valid_until": day},
              {}, SimpleNamespace(status="odd <status>", valid_until=dt.date(999, 1, 2)), {"status": dates.VALID},
              {"valid_until": day}]
    sites = []
    for n, cycle in enumerate(cycles, start=1):
        site = Site(pk=n, code=f"S-{n}" if n % 2 else f"S&<{n}>", name="深圳工厂" if n % 2 else 'Plant "A" & B',
                    country="CN" if n % 3 else "DE", city="" if n % 2 else "Shen<zhen>", is_production=bool(n % 3),
                    status="active" if n % 4 else "closed" if n % 8 else "<new>")
        sites.append((site, cycle))
    foc = {2: {"valid": True, "expires_on": day}, 3: {"valid": False, "expires_on": dt.date(2025, 1, 31)}}
    return sites, foc


@pytest.mark.parametrize("language", LANGUAGES)
def test_site_rows_are_the_markup_the_template_wrote(language):
    sites, foc = _sites()
    context = {"sites": sites, "foc": foc}
    with translation.override(language):
        reference = _render(SITE_REFERENCE, context)
        assert _render(SITE_ROWS, context) == reference
        assert _render(SITE_ROWS, {"sites": sites, "foc": None}) == _render(SITE_REFERENCE, {"sites": sites})
    assert reference.count("<tr>") == len(sites)
    if language == "en":
        for markup in ('<span class="badge ok">valid</span>', '<span class="badge warn">expiring</span>',
                       '<span class="badge bad">expired</span>', "odd &lt;status&gt;", "0999-01-02", "FOC until",
                       "FOC expired", '<span class="badge">Closed</span>', "Shen&lt;zhen&gt;, DE", "<td>no</td>"):
            assert markup in reference


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ["procurement_analyst", "procurement_admin", "viewer", "supplier_user"])
def test_served_rows_are_the_markup_the_template_wrote(role, language, world, client_as):
    client = client_as(role)
    for url in ("/suppliers/OWN-1/", f"/suppliers/OWN-1/?quarter={world.quarter}"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        page = response.content.decode()
        context = response.context[0].flatten()
        card = context["card"]
        assert card.rows and card.gains and card.score.population == "full"
        assert context["audits"].object_list and context["sites"]
        with translation.override(response.wsgi_request.LANGUAGE_CODE):
            for reference in (INDICATOR_REFERENCE, AUDIT_REFERENCE, SUBSCORE_REFERENCE, SITE_REFERENCE):
                rows = _render(reference, context)
                assert f"<tbody>\n{rows}  </tbody>" in page
            assert f"<ol>{_render(GAIN_REFERENCE, context).removesuffix(chr(10))}</ol>" in page

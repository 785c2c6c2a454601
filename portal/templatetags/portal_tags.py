"""Small display helpers for the portal templates."""

from __future__ import annotations

import datetime as dt
import functools
import html
from decimal import Decimal
from urllib.parse import quote

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat, yesno
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from audits import dates
from audits import selectors as audit_selectors
from core import roles
from portal import indicators, progress
from scoring import labels
from scoring.labels import CATEGORY_LABELS, SOURCE_LABELS

register = template.Library()

FLAG_LABELS = {
    "termination_review": _("termination review"),
    "no_valid_audit": _("no valid audit"),
    "audit_expiring": _("audit expiring"),
    "open_priority_finding": _("open Priority finding"),
    "low_completeness": _("low completeness"),
    "no_ecovadis": _("no EcoVadis score"),
}
METRIC_LABELS = {
    "audit": _("Audit coverage"),
    "scorecard": _("Scorecard coverage"),
    "sbti": _("Science-based targets"),
    "ghg_disclosure": _("GHG disclosure"),
    "foc": _("Factory of Choice"),
}
CYCLE_LABELS = {
    dates.VALID: _("valid"),
    dates.EXPIRING: _("expiring"),
    dates.EXPIRED: _("expired"),
    dates.NEVER_AUDITED: _("never audited"),
}
POINT_STATUS = {"value": _("value"), "missing": _("missing"), "not_applicable": _("not applicable")}
POPULATION_LABELS = {"full": _("full scorecard"), "ecovadis_only": _("EcoVadis only")}


@register.filter
def pct(value, places=1):
    """A share 0–1 as a percentage."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def points(value, places=2):
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(places)}f}"


@register.filter
def signed(value, places=2):
    """A change with its sign: +1.25, −0.40, 0.00."""
    if value is None or value == "":
        return "—"
    number = float(value)
    text = f"{abs(number):.{int(places)}f}"
    if float(text) == 0:
        return text
    return ("+" if number > 0 else "−") + text


@register.filter
def effect_label(line):
    """What a decomposition line that is not an indicator stands for."""
    return labels.effect_label(getattr(line, "kind", None) or line.get("kind"))


@register.filter
def params_text(params):
    """An indicator's parameters as text (``target 70``; a mapping table entry by entry)."""
    from scoring.methodology_drafts import params_text as text

    return text(params) or "—"


@register.filter
def plain_number(value):
    """7, 2.5: a number as people write it."""
    from scoring.methodology_drafts import plain_number as plain

    return "—" if value is None or value == "" else plain(value)


@register.filter
def money(value):
    if value is None or value == "":
        return "—"
    return f"{float(value):,.2f}"


@register.filter
def flag_label(flag):
    return FLAG_LABELS.get(flag, flag)


@register.filter
def split_flags(text):
    return [flag for flag in (text or "").split(";") if flag]


@register.filter
def metric_label(name):
    return METRIC_LABELS.get(name, name)


@register.filter
def cycle_label(status):
    return CYCLE_LABELS.get(status, status)


@register.filter
def point_status(status):
    return POINT_STATUS.get(status, status)


@register.filter
def source_label(source):
    return SOURCE_LABELS.get(source, source)


@register.filter
def source_field(form, code):
    """The draft form's source choice of an indicator (None when it has no derived option)."""
    name = f"source-{code}"
    return form[name] if name in form.fields else None


@register.filter
def effective_source(row):
    """The source a methodology indicator row takes its raw value from (section 9)."""
    return row.source or row.indicator.source


@register.filter
def category_label(key):
    return CATEGORY_LABELS.get(key, key)


@register.filter
def may_request_card(user, supplier):
    """``portal.access.may_request_card``: whether the supplier page offers its PDF report card."""
    from portal import access

    return access.may_request_card(user, supplier)


@register.simple_tag
def owner_candidates():
    """Users who may own suppliers (``core.roles.supplier_owner_candidates``)."""
    return roles.supplier_owner_candidates()


@register.filter
def days_overdue(overdue_since, today):
    """Days overdue at ``today`` (``audits.selectors.days_overdue``); "—" when not overdue."""
    days = audit_selectors.days_overdue(overdue_since, today)
    return "—" if days is None else days


@register.filter
def qbr_label(name):
    """A QBR component's name in the active language (``scoring.labels``)."""
    return labels.qbr_component_label(name)


@register.filter
def trigger_label(trigger):
    """How a recalculation was started, in the active language (``scoring.labels``)."""
    return labels.trigger_label(trigger)


@register.filter
def normalisation_label(kind):
    """A normalisation's name in the active language (``scoring.labels``)."""
    return labels.normalisation_label(kind)


@register.filter
def supplier_category_label(key):
    """A supplier category code (``production``, ``non_production``, …) in words."""
    from suppliers.models import SupplierCategory

    return dict(SupplierCategory.choices).get(key, key or "—")


@register.filter
def population_label(key):
    return POPULATION_LABELS.get(key, key or "—")


@register.filter
def filesize(value):
    size = float(value or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(value)


@register.simple_tag
def grade_badge(grade):
    if not grade:
        return "—"
    return format_html('<span class="grade grade-{}">{}</span>', grade, grade)


@register.simple_tag(takes_context=True)
def qs(context, **changes):
    """The current query string with ``changes`` applied (``None``/"" removes a key);
    a page change keeps every filter, a filter change goes back to page 1."""
    params = context["request"].GET.copy()
    if any(key != "page" and not key.endswith("_page") for key in changes):
        params.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_link(context, column, label):
    current = context["request"].GET.get("sort", "code")
    descending = current == f"-{column}"
    active = current.lstrip("-") == column
    target = column if descending or not active else f"-{column}"
    arrow = (" ▼" if descending else " ▲") if active else ""
    aria = ("descending" if descending else "ascending") if active else "none"
    return format_html('<a href="{}" aria-sort="{}">{}{}</a>', qs(context, sort=target), aria, label, arrow)


@register.simple_tag
def evidence_link(ref):
    """An indicator value's evidence: an uploaded document, a web link, or plain text."""
    if not ref:
        return "—"
    if ref.startswith("document:") and ref[9:].isdigit():
        return format_html('<a href="{}">{}</a>', reverse("portal:document-download", args=[int(ref[9:])]),
                           _("document"))
    if ref.startswith(("https://", "http://")):
        return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', ref, _("link"))
    return ref


@register.filter
def is_writer(user):
    return roles.can_write_master_data(user)


@register.filter
def is_admin(user):
    return roles.is_admin(user)


@register.filter
def is_procurement(user):
    return roles.is_procurement(user)


@register.filter
def is_supplier(user):
    return roles.is_supplier_user(user)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def my_supplier(context):
    """The supplier of a supplier user (for the navigation), once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not roles.is_supplier_user(user):
        return None
    if not hasattr(request, "_portal_supplier"):
        from suppliers.selectors import visible_suppliers

        request._portal_supplier = visible_suppliers(user).first()
    return request._portal_supplier


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """How many of the user's notifications are unread (for the header), once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_portal_unread"):
        from portal.selectors import unread_notification_count

        request._portal_unread = unread_notification_count(user)
    return request._portal_unread


@register.simple_tag(takes_context=True)
def current(context, *names):
    """``aria-current="page"`` when the current URL name is one of ``names``."""
    match = getattr(context.get("request"), "resolver_match", None)
    if match and match.url_name in names:
        return mark_safe('aria-current="page"')  # noqa: S308 - a constant
    return ""


@register.simple_tag(takes_context=True)
def page_url(context, param, number):
    """The current query string with page parameter ``param`` set to ``number``."""
    params = context["request"].GET.copy()
    params[param or "page"] = number
    return f"?{params.urlencode()}"


@register.filter
def get_field(form, name):
    return form[name]


@register.filter
def basename(path):
    return str(path or "").replace("\\", "/").rsplit("/", 1)[-1]


@register.filter
def indicator_value(value, code_or_kind=""):
    """A raw indicator value for display, given its indicator code (or normalisation):
    yes/no, the label of a mapping code, "66.7 %", numbers with at most one decimal."""
    text = indicators.display_value(value, code_or_kind)
    if text.endswith(" %"):  # a number and its unit stay on one line
        return format_html('<span class="nowrap">{}</span>', text)
    return text


@register.filter
def indicator_title(code, stored=""):
    """An indicator's title in the active language (custom indicators: as stored)."""
    return indicators.indicator_title(code, stored)


@register.filter
def methodology_description(text):
    return indicators.methodology_description(text)


@register.filter
def course_label(course):
    """A course's title in the active language."""
    from portal.forms import course_title

    return course_title(course)


@register.filter
def job_state(job):
    """State, step classes and "n of N (p%)" of a run or an export (``portal.progress``)."""
    return progress.job_state(job)


@functools.lru_cache(maxsize=8)
def _supplier_row_words(language: str | None) -> dict:
    """The words of a supplier list row in ``language``, translated once per process:
    category and status labels, flag and population labels, the checkbox's label."""
    from suppliers.models import SupplierCategory, SupplierStatus

    return {"category": {value: str(label) for value, label in SupplierCategory.choices},
            "status": {value: str(label) for value, label in SupplierStatus.choices},
            "flag": {flag: str(label) for flag, label in FLAG_LABELS.items()},
            "population": {key: str(label) for key, label in POPULATION_LABELS.items()},
            "select": gettext("Select %(code)s")}


def _code_url(context, name: str, code: str) -> str:
    """``reverse(name, args=[code])`` for a URL that ends in one ``<str:…>`` segment, with
    the reversing done once per rendered page: the path before the code, then the code
    quoted as ``reverse`` quotes it (a ``<str:…>`` segment never holds a slash)."""
    key = f"url_prefix:{name}"
    prefix = context.render_context.get(key)
    if prefix is None:
        prefix = context.render_context[key] = reverse(name, args=["-"]).removesuffix("-/")
    return f"{prefix}{quote(code, safe=RFC3986_SUBDELIMS + '/~:@')}/"


def _text(value) -> str:
    """``value`` as ``{{ value }}`` writes it in an autoescaped template: dates and numbers
    localised, then escaped unless marked safe."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(localize(template_localtime(value)))


@functools.lru_cache(maxsize=1024, typed=True)
def _localized_number(value, text: str, language: str | None, places: str | int | None) -> str:
    """A number (int, Decimal, float) as the template writes it in ``language``, escaped:
    ``{{ value }}`` (``places`` None) or ``{{ value|floatformat:places }}``. Worked out once
    per process for each number (formatting through ``django.utils.formats`` costs 10–20 µs
    a call; the settings it reads do not change while serving); ``text``, ``str(value)``,
    keeps apart equal numbers written differently (``Decimal("1.5")``, ``Decimal("1.50")``)."""
    return conditional_escape(localize(value) if places is None else floatformat(value, places))


def _number(value, language: str | None, places: str | int | None = None) -> str:
    """``value`` as ``{{ value }}`` (or ``{{ value|floatformat:places }}``) writes it in
    ``language``, the active language: numbers through ``_localized_number``, the rest
    (None, text) as ``_text`` writes it."""
    if type(value) in (int, Decimal, float):
        return _localized_number(value, str(value), language, places)
    return _text(value) if places is None else conditional_escape(floatformat(value, places))


def _date(value) -> str:
    """``{{ value|date:"Y-m-d"|default:"—" }}`` for a date (a DateField's value) or None."""
    if type(value) is dt.date:  # the filter's Y-m-d is the ISO form, without its cost
        return value.isoformat()
    return _text(date_filter(template_localtime(value), "Y-m-d") or "—")


@register.simple_tag(takes_context=True)
def supplier_row(context, supplier):
    """One ``<tr>`` of the supplier list (templates/portal/supplier_list.html) for a row of
    ``portal.selectors.supplier_rows``: the checkbox when the page has ``owner_form``, code
    (linked to the supplier page of the ``quarter``), name, country, category, status, spend
    rank and basis (procurement users only), score, change, grade, population and flags; the
    termination flag from templates/portal/includes/termination_flag.html.

    Written here rather than in the template: 50 rows of a dozen cells each took about half
    of the page's rendering through the template engine (#13). No query."""
    words = _supplier_row_words(get_language())
    escape = html.escape  # as the template's autoescape: every value is plain text
    code = escape(supplier.code)
    cells = ["<tr>"]
    if context.get("owner_form"):
        label = words["select"] % {"code": code}
        cells.append(f'<td><input type="checkbox" name="selected" value="{supplier.pk}" form="bulk-suppliers" '
                     f'aria-label="{label}"></td>')
    href = escape(_code_url(context, "portal:supplier-detail", supplier.code))
    quarter = context.get("quarter")
    if quarter:
        href += f"?quarter={escape(str(quarter))}"
    category = words["category"].get(supplier.category, supplier.category)
    status = words["status"].get(supplier.status, supplier.status)
    cells.append(f'<td><a href="{href}">{code}</a></td><td>{escape(supplier.name)}</td>'
                 f'<td>{escape(supplier.country)}</td><td>{escape(category)}</td><td>{escape(status)}</td>\n    ')
    if roles.is_procurement(context["user"]):
        rank = "—" if supplier.q_rank is None else supplier.q_rank
        cells.append(f'<td class="num">{rank}</td><td class="num">{money(supplier.q_spend)}</td>')
    change = supplier.q_change
    change = "—" if change is None else ("+" if change > 0 else "") + points(change)
    population = words["population"].get(supplier.q_population, supplier.q_population or "—")
    cells.append(f'<td class="num">{points(supplier.q_score)}</td><td class="num">{change}</td>'
                 f'<td>{grade_badge(supplier.q_grade)}</td><td>{escape(population)}</td>\n    <td>')
    if supplier.termination_review:
        flag = context.template.engine.get_template("portal/includes/termination_flag.html")
        with context.push(supplier=supplier):
            cells.append(flag.render(context) + " ")
    for name in split_flags(supplier.q_flags):
        if name != "termination_review" or not supplier.termination_review:
            kind = "bad" if name in ("termination_review", "open_priority_finding") else "warn"
            cells.append(f'<span class="badge {kind}">{escape(words["flag"].get(name, name))}</span> ')
    cells.append("</td></tr>")
    return mark_safe("".join(cells))  # noqa: S308 - every value above is escaped


@functools.lru_cache(maxsize=8)
def _scorecard_words(language: str | None) -> dict:
    """The words of the supplier page's scorecard rows in ``language``, translated once per
    process: category labels, point statuses, and the template's own words (written as
    ``{% translate %}`` and ``{% blocktranslate %}`` write them: the translation unescaped,
    the values put in escaped)."""
    return {"category": {key: str(label) for key, label in CATEGORY_LABELS.items()},
            "status": {key: str(label) for key, label in POINT_STATUS.items()},
            "audits": gettext("audits"), "reported": gettext("reported"), "no_value": gettext("no value yet"),
            "points_now": gettext("%(p)s points now"), "gain": gettext("up to +%(gain)s score points")}


@functools.lru_cache(maxsize=1024)
def _indicator_title(code: str, stored: str, language: str | None) -> str:
    """``indicator_title(code, stored)`` in ``language``, the active language, once per process."""
    return indicator_title(code, stored)


@register.simple_tag
def indicator_row(row):
    """One ``<tr>`` of the supplier page's "Breakdown by indicator" table
    (templates/portal/supplier_detail.html) for a ``scoring.breakdown.BreakdownRow`` with its
    reported ``value`` (``portal.selectors.scorecard``): code and title, category, weight,
    raw value or point status, points, contribution, source and evidence.

    Written here rather than in the template: through the template engine the 32 rows of
    ten filters each were most of the 5–6 ms the scorecard took to render. No query."""
    language = get_language()
    words = _scorecard_words(language)
    code = row.code
    category = words["category"].get(row.category, row.category)
    cells = [f"<tr><td><strong>{_text(code)}</strong> {_text(_indicator_title(code, row.title, language))}</td>"
             f'<td>{_text(category)}</td><td class="num">{_number(row.weight, language, "-3")}</td>\n    <td>']
    if row.status == "value":
        cells.append(_text(indicator_value(row.raw, code)))
    else:
        warn = " warn" if row.status == "missing" else ""
        cells.append(f'<span class="badge{warn}">{_text(words["status"].get(row.status, row.status))}</span>')
    cells.append(f'</td>\n    <td class="num">{points(row.points)}</td><td class="num">{points(row.contribution)}</td>'
                 f"\n    <td>")
    value = row.value
    if row.source == "audit":
        cells.append(words["audits"])
    elif value:
        cells.append(f"{_text(value.source or value.get_origin_display())} "
                     f'<span class="muted">({_text(value.quarter)})</span>')
    else:
        cells.append(words["reported"])
    cells.append("</td>\n    <td>")
    if value:
        cells.append(conditional_escape(evidence_link(value.evidence_ref)))
    elif row.source == "audit":
        cells.append(f'<a href="#audits-h">{words["audits"]}</a>')
    else:
        cells.append("—")
    cells.append("</td></tr>")
    return mark_safe("".join(cells))  # noqa: S308 - every value above is escaped


@register.simple_tag
def subscore_row(subscore):
    """One ``<tr>`` of the supplier page's subscores table (templates/portal/supplier_detail.html)
    for a ``(category key, title, weight, subscore)`` of ``Scorecard.subscores``: category,
    weight (whole number), subscore. No query."""
    key, _title, weight, value = subscore
    language = get_language()
    category = _scorecard_words(language)["category"].get(key, key)
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<tr><td>{_text(category)}</td><td class="num">{_number(weight, language, 0)}</td>'
        f'<td class="num">{points(value)}</td></tr>')


@register.simple_tag
def gain_item(gain):
    """One ``<li>`` of the supplier page's "What to improve" list (templates/portal/supplier_detail.html)
    for a ``scoring.breakdown.Gain``: code and title, points now (or "no value yet"), the
    score points full points would add. No query."""
    language = get_language()
    words = _scorecard_words(language)
    now = words["no_value"] if gain.points is None else words["points_now"] % {"p": _text(points(gain.points))}
    return mark_safe(  # noqa: S308 - every value is escaped, the translations are the template's
        f"<li><strong>{_text(gain.code)}</strong> {_text(_indicator_title(gain.code, gain.title, language))} — "
        f'{now}; {words["gain"] % {"gain": _text(points(gain.gain))}}</li>')


@functools.lru_cache(maxsize=8)
def _audit_row_words(language: str | None) -> dict:
    """The audit type and status labels in ``language``, translated once per process (a
    model's ``get_FOO_display`` translates every choice of the field on each call)."""
    from audits.models import Audit

    return {name: {value: str(label) for value, label in Audit._meta.get_field(name).flatchoices}
            for name in ("audit_type", "status")}


@register.simple_tag(takes_context=True)
def audit_row(context, audit):
    """One ``<tr>`` of the supplier page's audits table (templates/portal/supplier_detail.html)
    for an audit of ``portal.selectors.supplier_audits`` (with ``site``, ``open_findings`` and
    ``all_findings``): reference (linked to the audit), site code, type, end date, score,
    status and open / all findings. No query."""
    language = get_language()
    words = _audit_row_words(language)
    href = _text(_code_url(context, "portal:audit-detail", audit.audit_ref))
    audit_type = words["audit_type"].get(audit.audit_type, audit.audit_type)
    status = words["status"].get(audit.status, audit.status)
    score = "—" if audit.score is None else _number(audit.score, language)
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<tr><td><a href="{href}">{_text(audit.audit_ref)}</a></td><td>{_text(audit.site.code)}</td>'
        f'<td>{_text(audit_type)}</td><td>{_date(audit.conducted_on)}</td><td class="num">{score}</td>'
        f"<td>{_text(status)}</td>"
        f'<td class="num">{_number(audit.open_findings, language)} / {_number(audit.all_findings, language)}</td></tr>')


@functools.lru_cache(maxsize=8)
def _site_row_words(language: str | None) -> dict:
    """The words of the supplier page's site rows in ``language``, translated once per process:
    site status and audit cycle labels, and the yes/no of "Production"."""
    from suppliers.models import Site

    return {"status": {value: str(label) for value, label in Site._meta.get_field("status").flatchoices},
            "cycle": {key: str(label) for key, label in CYCLE_LABELS.items()}, "yes_no": gettext("yes,no")}


def _field(row, name: str):
    """``{{ row.name }}`` as the template looks it up: a mapping's key or an attribute, "" when
    there is neither."""
    if isinstance(row, dict):
        return row.get(name, "")
    return getattr(row, name, "")


@register.simple_tag(takes_context=True)
def site_row(context, site, cycle):
    """One ``<tr>`` of the supplier page's sites table (templates/portal/supplier_detail.html)
    for a site and its two-year cycle row (``portal.selectors.supplier_cycle``, None without
    one): code and name (and status unless active), city and country, production, cycle
    status, valid until, and the page's ``foc`` recognition of the site written by
    templates/portal/includes/foc_badge.html. No query."""
    words = _site_row_words(get_language())
    cells = [f"<tr><td>{_text(site.code)} {_text(site.name)}"]
    if site.status != "active":
        cells.append(f' <span class="badge">{_text(words["status"].get(site.status, site.status))}</span>')
    city = f"{_text(site.city)}, " if site.city else ""
    production = _text(yesno(site.is_production, words["yes_no"]))
    cells.append(f"</td><td>{city}{_text(site.country)}</td><td>{production}</td>\n  <td>")
    if cycle:
        status = _field(cycle, "status")
        kind = "ok" if status == "valid" else "warn" if status == "expiring" else "bad"
        cells.append(f'<span class="badge {kind}">{_text(words["cycle"].get(status, status))}</span>')
    valid_until = _date(_field(cycle, "valid_until") or None)
    cells.append(f"</td><td>{valid_until}</td><td>{_foc_badge(context, site.pk)}</td></tr>")
    return mark_safe("".join(cells))  # noqa: S308 - every value is escaped, the badge is a rendered template


def _foc_badge(context, site_id: int) -> str:
    """templates/portal/includes/foc_badge.html rendered for the site's recognition in the
    page's ``foc`` (``audits.selectors.site_recognitions``); without one, rendered once per page."""
    recognition = get_item(context.get("foc"), site_id)
    if recognition is None and "foc_badge:none" in context.render_context:
        return context.render_context["foc_badge:none"]
    template = context.template.engine.get_template("portal/includes/foc_badge.html")
    with context.push(f=recognition):
        badge = template.render(context)
    if recognition is None:
        context.render_context["foc_badge:none"] = badge
    return badge

"""Helpers every page module shares."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

from core.paging import page_of
from core.parsers import CellError, normalize_identifier
from core.quarter import today as business_day
from core.review import ACCEPTED, DECISIONS
from portal.forms import ReviewForm

PAGE_SIZE = 25


def paginate(request, rows, per_page: int = PAGE_SIZE, param: str = "page", *, count: int | None = None):
    """The page of ``rows`` the request asks for (``param``; out of range: the last page).
    ``count``: the number of rows when already known (``core.paging.Counted``), so the list is
    not counted."""
    return page_of(rows, per_page, request.GET.get(param), count=count)


def today():
    return business_day()


def error_text(error: Exception) -> str:
    """A service error as one line for a message banner."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return " ".join(f"{m}" for texts in error.message_dict.values() for m in texts)
        return " ".join(error.messages)
    detail = getattr(error, "detail", None)  # DRF ValidationError raised by scoring services
    if isinstance(detail, dict):
        return " ".join(str(m) for texts in detail.values() for m in
                        (texts if isinstance(texts, list) else [texts]))
    if isinstance(detail, list):
        return " ".join(str(m) for m in detail)
    return str(error)


def as_django_error(error: Exception) -> ValidationError:
    """Scoring services raise DRF's ValidationError; forms want Django's."""
    if isinstance(error, ValidationError):
        return error
    detail = getattr(error, "detail", None)
    if isinstance(detail, dict):
        return ValidationError({key: [str(m) for m in (value if isinstance(value, list) else [value])]
                                for key, value in detail.items()})
    return ValidationError(error_text(error))


class BadQuery(Exception):
    """A query parameter that cannot be read; the page answers 400 with the message."""


def identifier_param(request, name: str) -> str:
    """The code or reference in query parameter ``name``, read by
    ``core.parsers.normalize_identifier`` (``ＳＵＰ－００１`` is ``SUP-001``); "" when absent or
    blank. Raises ``BadQuery`` naming the parameter and the refused character."""
    text = request.GET.get(name, "").strip()
    if not text:
        return ""
    try:
        return normalize_identifier(text)
    except CellError as exc:
        raise BadQuery(f"{name}: {exc}") from exc


def bad_query_response(error: BadQuery) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(str(error))


def selected_ids(request, name: str = "selected") -> list[int] | None:
    """The ids ticked in a list page's bulk form (checkboxes named ``name``), in order,
    without repeats; ``None`` when one is not a whole number (a forged request)."""
    ids = []
    for text in request.POST.getlist(name):
        if not text.strip().isdigit():
            return None
        ids.append(int(text))
    return list(dict.fromkeys(ids))


def review_and_return(request, decision: str, review, *, accepted: str, rejected: str, fallback: str):
    """One submitted item's review posted from a page, and the redirect back.

    ``decision``: a review word (``core.review.DECISIONS``, ``accept``/``reject``), with the
    form's ``comment`` (``portal.forms.ReviewForm``); ``review(state=, actor=, comment=)``
    calls the item's review service. An unknown word is the message "Choose accept or
    reject."; a ``ValidationError`` of the service is an error message (``error_text``);
    success is the message ``accepted`` or ``rejected`` (translated text, already filled in).
    Returns ``back_to(request, fallback)``."""
    state = DECISIONS.get(decision)
    form = ReviewForm(request.POST)
    if state is None or not form.is_valid():
        messages.error(request, _("Choose accept or reject."))
    else:
        try:
            review(state=state, actor=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, accepted if state == ACCEPTED else rejected)
    return back_to(request, fallback)


def back_to(request, fallback: str, *args):
    """Redirect to the form's ``next`` (a URL of this site), else to the ``fallback`` page."""
    from django.shortcuts import redirect
    from django.utils.http import url_has_allowed_host_and_scheme

    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(next_url)
    return redirect(fallback, *args)


def uploaded_evidence(supplier, upload, *, title: str, actor) -> str:
    """Store ``upload`` as one of ``supplier``'s evidence documents (``suppliers.documents
    .document_upload``: the one upload checker, history) and return the evidence reference an
    indicator value keeps: ``document:<id>``. Raises what ``document_upload`` raises
    (``ValidationError``, ``core.uploads.StorageUnavailable``)."""
    from suppliers import documents
    from suppliers.models import DocumentKind

    document = documents.document_upload(supplier=supplier, kind=DocumentKind.EVIDENCE, upload=upload, title=title,
                                         actor=actor)
    return f"document:{document.pk}"

"""Request guards that apply to every URL before any view runs."""

from __future__ import annotations

import re

from django.http import HttpResponseBadRequest, JsonResponse

# C0 controls (NUL, TAB, CR, LF included) and DEL. No path segment or query parameter of the
# product (codes, references, quarters, filters, search) may hold one: contract.md.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
MESSAGE = "The address contains a control character (such as NUL or a line break); remove it."


def has_control_character(text: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(text))


class RejectControlCharactersMiddleware:
    """A control character in the path or the query string answers 400 for every role
    (PostgreSQL refuses NUL in text: without this, a lookup by ``/suppliers/%00/`` fails
    with a server error)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = [text for key, values in request.GET.lists() for text in (key, *values)]
        if has_control_character(request.path_info) or any(has_control_character(text) for text in query):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=400)
            return HttpResponseBadRequest(MESSAGE)
        return self.get_response(request)

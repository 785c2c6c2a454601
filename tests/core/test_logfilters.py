"""A refusal is logged on one line; a server error keeps its traceback."""

import logging

import pytest

from core.logfilters import ClientErrorsOnOneLine


def _record(status_code):
    try:
        raise PermissionError("nope")
    except PermissionError:
        import sys

        record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/x/",),
                                   sys.exc_info())
    record.status_code = status_code
    return record


@pytest.mark.parametrize("status_code, keeps_traceback", [(403, False), (404, False), (500, True)])
def test_client_errors_lose_their_traceback_server_errors_keep_it(status_code, keeps_traceback):
    record = _record(status_code)
    assert ClientErrorsOnOneLine().filter(record) is True
    assert (record.exc_info is not None) is keeps_traceback
    text = logging.Formatter().format(record)
    assert text.startswith("Forbidden: /x/")
    assert ("Traceback" in text) is keeps_traceback


def test_the_request_logger_uses_the_filter():
    filters = logging.getLogger("django.request").filters
    assert any(isinstance(f, ClientErrorsOnOneLine) for f in filters)

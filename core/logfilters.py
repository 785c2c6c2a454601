"""Logging filters of the configuration in ``config/settings/base.py``."""

from __future__ import annotations

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """Refusals (4xx: a role asking for a page it may not see, a missing object) are logged as
    one line without a traceback; server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True

"""A web process compiles the project's templates and builds its URL lookup while it boots
(core/warmup.py), so a worker's first request costs what the others do (#13)."""

import importlib
import logging

import pytest
from django.conf import settings
from django.template import engines
from django.test import override_settings

from core import warmup

# The settings' engine as production runs it: DEBUG off, so compiled templates are cached.
CACHED_TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "debug": False}}]


def _cached_names(engine) -> set[str]:
    return {template.origin.template_name for template in engine.engine.template_loaders[0].get_template_cache.values()
            if hasattr(template, "origin")}


@override_settings(TEMPLATES=CACHED_TEMPLATES)
def test_the_projects_templates_are_compiled_into_the_cache():
    engine = engines["django"]
    names = warmup.project_template_names(engine)
    # The project's own folders (templates/ and the apps'), not the installed packages'.
    assert {"base.html", "portal/supplier_detail.html", "admin/audits/finding_withdraw.html"} <= set(names)
    assert "admin/base.html" not in names and "rest_framework/api.html" not in names
    assert "portal/supplier_detail.html" not in _cached_names(engine)

    assert warmup.warm_up() == len(names)
    assert set(names) <= _cached_names(engine)


@override_settings(TEMPLATES=CACHED_TEMPLATES)
def test_a_template_that_does_not_compile_is_logged_and_the_rest_are_warmed(monkeypatch, caplog):
    monkeypatch.setattr(warmup, "project_template_names", lambda engine: ["missing/nowhere.html", "base.html"])
    with caplog.at_level(logging.WARNING, logger="core.warmup"):
        assert warmup.warm_up() == 1
    assert "template missing/nowhere.html did not compile while warming up" in caplog.text
    assert "base.html" in _cached_names(engines["django"])


@pytest.mark.parametrize(("debug", "warmed"), [(False, 1), (True, 0)])
def test_the_wsgi_application_warms_up_unless_debugging(monkeypatch, debug, warmed):
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append(1) or 0)
    import config.wsgi

    calls.clear()
    with override_settings(DEBUG=debug):
        importlib.reload(config.wsgi)
    assert len(calls) == warmed

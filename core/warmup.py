"""A web process made ready before it serves (#13).

A new gunicorn worker used to do on its first request what every later request gets for free:
import the URL configuration (every view module, and pandas and numpy with them), build its
reverse lookup in each language, load the translation catalogues and compile the page's
templates. The supplier page's first request took 0.6-0.8 s in process, and up to 10 s
through gunicorn on a loaded machine, once per worker after every start (0.13 s after
warming). ``warm_up`` does this work while the worker boots (``config/wsgi.py``), before it
accepts a request: about 0.7 s.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.backends.django import DjangoTemplates
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)


def project_template_names(engine: DjangoTemplates) -> list[str]:
    """The names of the project's own ``.html`` templates (its ``templates`` folders and its
    apps'), not those of installed packages, sorted."""
    packages = Path(sys.prefix).resolve()
    base = Path(settings.BASE_DIR).resolve()
    names = set()
    for folder in engine.template_dirs:
        folder = Path(folder).resolve()
        if not folder.is_relative_to(base) or folder.is_relative_to(packages) or not folder.is_dir():
            continue
        names.update(path.relative_to(folder).as_posix() for path in folder.rglob("*.html"))
    return sorted(names)


def warm_up() -> int:
    """Import the URL configuration and build its reverse lookup and load the catalogue of
    every language, and compile the
    project's templates into the template engine's cache (a no-op for templates when the
    engine does not cache them, as under ``DEBUG``). Returns how many templates compiled; one
    that does not is logged and left for its page to report, so the process still starts."""
    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Suppliers")  # loads the language's catalogue
            # Imports every URL and view module once, then builds the language's reverse
            # lookup (the URLs carry a language prefix).
            resolver.reverse_dict  # noqa: B018
    compiled = 0
    for engine in engines.all():
        if not isinstance(engine, DjangoTemplates):
            continue
        for name in project_template_names(engine):
            try:
                engine.get_template(name)
            except (TemplateDoesNotExist, TemplateSyntaxError):
                logger.warning("template %s did not compile while warming up", name, exc_info=True)
            else:
                compiled += 1
    return compiled

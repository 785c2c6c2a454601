"""The Chinese translation is complete: every string marked for translation in a template
or in Python has a Chinese msgstr (not fuzzy), and the compiled catalogue holds them.

The strings are extracted afresh with ``makemessages`` (GNU gettext) from a copy of the
sources, so a string added without a translation fails here instead of rendering in
English under 简体中文. Fix: ``manage.py makemessages -l zh_Hans --ignore=.venv``,
translate the new entries in ``locale/zh_Hans/LC_MESSAGES/django.po``, then
``manage.py compilemessages --ignore=.venv``.
"""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path("locale") / "zh_Hans" / "LC_MESSAGES"
SKIPPED = {".venv", ".git", "var", "test-artifacts", "staticfiles", "node_modules", ".ruff_cache", ".hypothesis",
           ".import_linter_cache", "__pycache__"}


def _entries(po: Path, *options: str) -> list[str]:
    """The msgids ``msgattrib`` selects with ``options`` (header left out)."""
    out = subprocess.run(["msgattrib", *options, "--no-obsolete", "--no-wrap", "--no-location", str(po)],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    ids = [line[len('msgid "'):-1] for line in out.splitlines() if line.startswith('msgid "')]
    return [msgid for msgid in ids if msgid]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """A fresh ``makemessages`` run over a copy of the sources; returns the copy's .po."""
    if shutil.which("xgettext") is None or shutil.which("msgattrib") is None:
        pytest.skip("GNU gettext is not installed (Debian package gettext; .ci/run installs it)")
    source = Path(settings.BASE_DIR)
    copy = tmp_path_factory.mktemp("i18n") / "src"
    shutil.copytree(source, copy, symlinks=True, ignore=lambda folder, names: [
        name for name in names if name in SKIPPED or name.endswith((".sqlite3", ".pyc"))])
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--ignore=.venv", "-v", "0"],
                   cwd=copy, check=True, capture_output=True, timeout=300)
    return copy / LOCALE / "django.po"


def test_every_string_has_a_chinese_translation(extracted):
    untranslated = _entries(extracted, "--untranslated")
    fuzzy = _entries(extracted, "--only-fuzzy")
    assert untranslated == [], f"{len(untranslated)} string(s) without a Chinese translation: {untranslated[:20]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy (unchecked) translation(s): {fuzzy[:20]}"


def test_the_compiled_catalogue_is_up_to_date(extracted, tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(extracted)], check=True,
                   capture_output=True, timeout=60)
    with open(compiled, "rb") as fresh, open(Path(settings.BASE_DIR) / LOCALE / "django.mo", "rb") as shipped:
        expected = gettext.GNUTranslations(fresh)._catalog
        actual = gettext.GNUTranslations(shipped)._catalog
    missing = sorted(str(key) for key in expected if key not in actual or actual[key] != expected[key])
    assert missing == [], f"run compilemessages: {len(missing)} entr(ies) differ, e.g. {missing[:10]}"

"""The Simplified Chinese catalogue covers every portal string, and pages render in it."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_portal_string_is_translated():
    untranslated = []
    for entry in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        refs = " ".join(line for line in entry.splitlines() if line.startswith("#:"))
        if "templates/" not in refs and "portal/" not in refs:
            continue
        if re.search(r'^msgstr(\[0\])? ""\s*\Z', entry.strip(), re.M) or "#, fuzzy" in entry:
            untranslated.append(entry.splitlines()[-2] if len(entry.splitlines()) > 1 else entry)
    assert untranslated == []


def test_compiled_catalogue_is_used():
    with translation.override("zh-hans"):
        assert translation.gettext("Findings") == "发现项"
        assert translation.gettext("Dashboard") == "总览"


def test_pages_render_in_chinese_for_each_role(world, client_as):
    for role, url in (("procurement_analyst", "/dashboard/"), ("procurement_analyst", "/findings/F-OWN-1/"),
                      ("supplier_user", "/suppliers/OWN-1/documents/"), ("procurement_admin", "/screening/"),
                      ("supplier_user", "/notifications/"), ("procurement_analyst", "/audits/planned/"),
                      ("procurement_admin", "/suppliers/OWN-1/termination-review/")):
        client = client_as(role)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        response = client.get(url)
        assert response.status_code == 200
        assert 'lang="zh-Hans"' in response.content.decode()


def test_new_pages_speak_chinese(world, client_as):
    client = client_as("procurement_admin")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "没有未读通知。" in client.get("/notifications/").content.decode()
    assert "该供应商没有待决定的终止审查。" in client.get("/suppliers/OWN-1/termination-review/").content.decode()


def test_how_a_run_was_started_is_said_in_words_in_chinese(world, client_as):
    from scoring.models import ScoreRun

    run = ScoreRun.objects.filter(quarter=str(world.quarter)).latest("pk")
    ScoreRun.objects.filter(pk=run.pk).update(trigger="command")
    client = client_as("procurement_analyst")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    for url in ("/scorecard/runs/", f"/scorecard/runs/{run.pk}/"):
        page = client.get(url).content.decode()
        assert "(命令行)" in page and "(command)" not in page, url

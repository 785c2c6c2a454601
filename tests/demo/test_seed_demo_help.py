"""``seed_demo --help`` documents every option of its own."""

from __future__ import annotations

from django.core.management import load_command_class
from django.core.management.base import BaseCommand


def test_every_seed_demo_option_is_documented():
    command = load_command_class("demo", "seed_demo")
    parser = command.create_parser("manage.py", "seed_demo")
    django_defaults = {action.dest for action in BaseCommand().create_parser("manage.py", "x")._actions}
    own = [action for action in parser._actions if action.dest not in django_defaults]
    assert {action.dest for action in own} == {"suppliers", "seed", "if_empty", "no_scores"}
    for action in own:
        assert action.help and len(action.help) > 20, action.dest
    assert "demo_logins" in parser.description

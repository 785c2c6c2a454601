"""Static checks of docker/: no Docker engine runs here, so the files are parsed and their
moving parts (the health check script, the build's collectstatic step) run on their own."""

from __future__ import annotations

import http.server
import json
import os
import runpy
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
DOCKER_DIR = BASE_DIR / "docker"
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER_DIR / "compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for raw in (DOCKER_DIR / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, args = current.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        current = ""
    return instructions


def instruction_args(keyword: str) -> list[str]:
    return [args for kw, args in dockerfile_instructions() if kw == keyword]


def as_list(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_compose_has_the_five_services(services):
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}


def test_app_services_share_one_image_and_build(services):
    builds = [services[name]["build"] for name in APP_SERVICES]
    images = [services[name]["image"] for name in APP_SERVICES]
    assert builds[0] == {"context": "..", "dockerfile": "docker/Dockerfile"}
    assert all(build == builds[0] for build in builds)
    assert all(image == images[0] for image in images)
    assert (DOCKER_DIR / builds[0]["context"]).resolve() == BASE_DIR  # paths are relative to docker/
    assert (BASE_DIR / builds[0]["dockerfile"]).exists()


def test_app_service_commands(services):
    web = as_list(services["web"]["command"])
    assert web[:2] == ["gunicorn", "config.wsgi:application"]
    assert "0.0.0.0:8000" in web
    assert as_list(services["worker"]["command"]) == ["celery", "-A", "config", "worker", "-l", "info"]
    assert as_list(services["beat"]["command"]) == [
        "celery", "-A", "config", "beat", "-l", "info",
        "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
    ]  # fmt: skip


def test_web_migrates_before_starting(services):
    assert services["web"]["environment"]["MIGRATE_ON_START"] == "1"
    for name in ("worker", "beat"):
        assert "MIGRATE_ON_START" not in services[name]["environment"], name
    entrypoint = (DOCKER_DIR / "entrypoint.sh").read_text()
    assert "python manage.py migrate --noinput" in entrypoint
    assert 'exec "$@"' in entrypoint
    assert any("docker/entrypoint.sh" in args for args in instruction_args("ENTRYPOINT"))


def test_app_service_environment(services):
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        assert env["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}", name
        assert env["DATABASE_URL"].startswith("postgres://") and env["DATABASE_URL"].endswith(
            "@postgres:5432/esg_scorecard"
        )
        assert env["CELERY_BROKER_URL"] == "redis://redis:6379/0", name
        assert env["REDIS_URL"].startswith("redis://redis:6379/"), name
        assert env["ALLOWED_HOSTS"], name


def test_dependencies_wait_for_healthy_services(services):
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        for dependency in ("postgres", "redis"):
            assert depends[dependency] == {"condition": "service_healthy"}, (name, dependency)
    for name in ("worker", "beat"):  # the schema exists once web (which migrates) is healthy
        assert services[name]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_healthchecks(services):
    assert "pg_isready" in " ".join(as_list(services["postgres"]["healthcheck"]["test"]))
    assert as_list(services["redis"]["healthcheck"]["test"])[-2:] == ["redis-cli", "ping"]
    assert "docker/healthcheck.py" in " ".join(as_list(services["web"]["healthcheck"]["test"]))
    assert "inspect ping" in " ".join(as_list(services["worker"]["healthcheck"]["test"]))
    assert services["beat"]["healthcheck"] == {"disable": True}


def test_backing_services_and_named_volume(compose, services):
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "pgdata" in compose["volumes"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "esg_scorecard"


def test_dockerfile_base_install_and_non_root_user():
    assert instruction_args("FROM") == ["python:3.11-slim"]
    assert "pip install ." in instruction_args("RUN")
    users = instruction_args("USER")
    assert users and users[-1] not in ("root", "0", "0:0")
    assert not any("SECRET_KEY" in args for args in instruction_args("ENV")), "SECRET_KEY must not be baked in"


def test_dockerfile_collectstatic_with_build_only_production_env():
    (step,) = [args for args in instruction_args("RUN") if "collectstatic" in args]
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in step
    assert "SECRET_KEY=" in step and "ALLOWED_HOSTS=" in step
    assert "manage.py collectstatic --noinput" in step


def test_dockerfile_serves_gunicorn_with_a_healthcheck():
    (cmd,) = instruction_args("CMD")
    command = json.loads(cmd)
    assert command[:2] == ["gunicorn", "config.wsgi:application"]
    assert command[command.index("--bind") + 1] == "0.0.0.0:8000"
    assert instruction_args("EXPOSE") == ["8000"]
    (healthcheck,) = instruction_args("HEALTHCHECK")
    assert "docker/healthcheck.py" in healthcheck


def test_dockerignore_keeps_local_state_out_but_docker_scripts_in():
    patterns = {line.strip() for line in (DOCKER_DIR / "Dockerfile.dockerignore").read_text().splitlines()}
    assert {".venv", ".git", "db.sqlite3", ".env"} <= patterns
    assert not patterns & {"docker", "docker/", "docker/*", "*.sh", "*.py"}


class _StatusHandler(http.server.BaseHTTPRequestHandler):
    status = 200
    seen_headers: dict = {}

    def do_GET(self):
        type(self).seen_headers = dict(self.headers)
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_web(monkeypatch):
    server = http.server.HTTPServer(("127.0.0.1", 0), _StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PORT", str(server.server_address[1]))
    monkeypatch.setenv("ALLOWED_HOSTS", ".example.com,*")
    yield _StatusHandler
    server.shutdown()
    server.server_close()


def run_healthcheck() -> int:
    return runpy.run_path(str(DOCKER_DIR / "healthcheck.py"))["main"]()


@pytest.mark.parametrize(("status", "expected"), [(200, 0), (302, 0), (400, 0), (500, 1), (503, 1)])
def test_healthcheck_script(fake_web, status, expected):
    fake_web.status = status
    assert run_healthcheck() == expected
    assert fake_web.seen_headers["Host"] == "example.com"
    assert fake_web.seen_headers["X-Forwarded-Proto"] == "https"


def test_healthcheck_script_fails_when_nothing_listens(monkeypatch):
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PORT", str(port))
    assert run_healthcheck() == 1


def test_build_collectstatic_step_succeeds_with_production_settings(tmp_path):
    """What the image's collectstatic RUN does, into a temporary STATIC_ROOT."""
    script = (
        "import sys, django; from django.conf import settings; django.setup();"
        "settings.STATIC_ROOT = sys.argv[1];"
        "from django.core.management import call_command;"
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="build", ALLOWED_HOSTS="localhost")
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=BASE_DIR, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "staticfiles.json").exists()  # the manifest WhiteNoise serves from
    assert (tmp_path / "admin").is_dir()

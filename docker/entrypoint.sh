#!/bin/sh
# Runs before the container's command (gunicorn, celery worker or celery beat).
# With MIGRATE_ON_START=1 (set for the web service only) it applies migrations first;
# worker and beat wait for web to be healthy, so the schema exists before they start.
set -eu

if [ "${MIGRATE_ON_START:-0}" = "1" ]; then
    python manage.py migrate --noinput
fi

exec "$@"

import os

from django.core.wsgi import get_wsgi_application

# Production unless told otherwise: a server started without DJANGO_SETTINGS_MODULE must not
# run with the laptop's debug settings. ``manage.py`` keeps the laptop default.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - after the settings are set up

if not settings.DEBUG:
    # Import the views, load the catalogues and compile the templates while the worker boots,
    # not on its first request (core/warmup.py).
    from core.warmup import warm_up  # noqa: E402

    warm_up()

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set and demo logins (``seed_demo``, ``demo_logins``): the top of the
    layers, since seeding touches every domain app."""

    name = "demo"
    verbose_name = "Demo data"

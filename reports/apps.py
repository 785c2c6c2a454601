from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from reports import services  # noqa: F401  registers the report job kind (core.jobs)

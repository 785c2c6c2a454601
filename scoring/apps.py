from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"

    def ready(self) -> None:
        from scoring import services  # noqa: F401  registers the score-run job kind (core.jobs)

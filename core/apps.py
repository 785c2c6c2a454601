from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        import pandas as pd

        # pyarrow is installed to parse COPY output (core/frames.py); pandas' text columns stay
        # Python-backed as without it: the engine and the result rows iterate them, which an
        # Arrow-backed column does one boxed value at a time.
        pd.set_option("mode.string_storage", "python")
        from core import auth, history, tasks_guard  # noqa: F401 (signal receivers, checks)
        from core.setup import ensure_role_groups

        post_migrate.connect(ensure_role_groups, dispatch_uid="core.ensure_role_groups")

        from core import jobs
        from core.models import Job

        jobs.register(jobs.JobKind(name="tracked", model=Job, entity_type="job"))

"""Test settings: the database and broker still come from the environment, so CI runs
the suite on PostgreSQL and Redis; tasks run eagerly unless a test starts a worker."""

from .base import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(env("TEST_MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media")))  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
JOB_STARTS_PER_MINUTE = 1000  # tests of the limit set their own
# The test's transaction hides the job rows from the heartbeat's own connection: progress
# rides on the lease's renewal only (tests of the progress beat set their own).
JOB_PROGRESS_SECONDS = env.float("JOB_PROGRESS_SECONDS", default=0)  # noqa: F405

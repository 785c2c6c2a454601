"""Settings read from the environment, with embedded defaults for a laptop:
SQLite in the project folder and Celery running tasks eagerly in-process.
"""

from decimal import Decimal
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",
    "axes",
    "core",
    "suppliers",
    "audits",
    "scoring",
    "reports",
    "portal",
    "disclosure",
    "demo",
]

MIDDLEWARE = [
    # Before anything reads the URL: control characters in a path or query are a 400.
    "core.middleware.RejectControlCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.history.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes requires: answers sign-ins of a locked-out user.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Reuse connections for a minute, and check one before reusing it: after a database
# restart the web process and the workers reconnect by themselves (docs/reliability.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Imports and recalculations hold a write transaction for a while: wait instead of
    # failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses sign-ins (portal, admin, API token) after repeated failures: docs/security.md.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours; then the lock lifts
# A wrong password for one account locks that account from that address only.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Failed API tokens per client address before answers become 429 (core/auth.py).
TOKEN_FAILURE_LIMIT = env.int("TOKEN_FAILURE_LIMIT", default=20)
TOKEN_FAILURE_WINDOW_SECONDS = env.int("TOKEN_FAILURE_WINDOW_SECONDS", default=900)
# API tokens expire this many hours after they were issued (core/auth.py).
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=24 * 30)

# History (core/history.py): the admin shows it but never reverts to an old version.
SIMPLE_HISTORY_REVERT_DISABLED = True
# Workflow reasons (rejections, withdrawals, status changes) are free text of any length.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# On a laptop every e-mail is written as a file to var/mail/ (never dumped on the console
# between the demo's logins); production sets an SMTP backend.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="esg-scorecard@localhost")

# --- Product settings -------------------------------------------------------------
BASE_CURRENCY = env("BASE_CURRENCY", default="USD")
COVERAGE_TARGET = Decimal(env("COVERAGE_TARGET", default="0.95"))  # default of a new methodology only
# Where the audits app reads the audit validity, expiring horizon and coverage target in
# force for a quarter (the scoring methodology's; audits/policy.py).
AUDIT_POLICY = "scoring.selectors.audit_policy"
IMPORT_MAX_UPLOAD_MB = env.int("IMPORT_MAX_UPLOAD_MB", default=200)
DOCUMENT_MAX_MB = env.int("DOCUMENT_MAX_MB", default=25)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# Without a broker, tasks run in-process so the embedded set-up needs no Redis.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Tasks run in-process still pass through a producer (for the serializer): without a broker,
# give it the in-memory transport so the laptop default opens no connection and logs no broker
# warning. With a broker, nothing is set: publishing follows the broker URL (Celery reads
# CELERY_BROKER_URL from the environment first).
if not CELERY_BROKER_URL and CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_WRITE_URL = "memory://localhost/"
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3300)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing while the broker is down fails fast (the job stays queued and the sweep sends
# it when the broker is back) instead of holding the web request for ~20 s.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                                    "interval_max": 0.5}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 10}

# --- Jobs (core/jobs.py, docs/reliability.md) ---------------------------------------
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=120)  # a stopped worker's job is reclaimed after this
JOB_RESEND_AFTER_SECONDS = env.int("JOB_RESEND_AFTER_SECONDS", default=60)  # queued and unclaimed: sent again
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=5)  # claims before a job whose worker keeps dying fails
JOB_PROGRESS_SECONDS = env.float("JOB_PROGRESS_SECONDS", default=1.0)  # a job's "n of N" written at most this often
JOB_STARTS_PER_MINUTE = env.int("JOB_STARTS_PER_MINUTE", default=10)  # exports + recalculations per user

# --- REST API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request gets 401 with ``WWW-Authenticate: Token``.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.permissions.RolePermission",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.api_parsers.JSONParser",
        "core.api_parsers.FormParser",
        "core.api_parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.IdentifierFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Supplier ESG Scorecard API",
    "DESCRIPTION": "Suppliers, spend, RBA audits, findings, ESG scores and 95%-of-spend coverage.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from the package, not a CDN: the docs work offline and on intranets.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Error answers (core.api_errors) are part of every operation's documented responses.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api_errors.document_errors"],
    # Several models have a "status" field; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "SupplierStatusEnum": "suppliers.models.SupplierStatus",
        "SiteStatusEnum": "suppliers.models.SiteStatus",
        "AuditStatusEnum": "audits.models.AuditStatus",
        "FindingStatusEnum": "audits.models.FindingStatus",
        "CapStateEnum": "audits.models.CapState",
        "SiteCycleStatusEnum": "audits.dates.CYCLE_STATUSES",
        "InventoryStateEnum": "disclosure.models.InventoryState",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_on_one_line": {"()": "core.logfilters.ClientErrorsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Django's own loggers would print a second copy of every message through the root.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # A 403 or 404 is an answer, not a fault: one line, no traceback.
        "django.request": {"handlers": ["console"], "level": "INFO", "propagate": False,
                           "filters": ["client_errors_on_one_line"]},
        # Tasks run in-process (no broker): one "Task … succeeded" line per task is noise.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}

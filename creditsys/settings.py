"""Settings for creditsys, read from the environment (django-environ).

Without any environment the project runs on the *embedded default*: a SQLite file and kombu's
filesystem transport under ``var/``. Production and CI set ``DATABASE_URL`` and ``REDIS_URL``.
"""

import sys
import urllib.parse
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CREDITSYS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]"]),
    POLICY_PROFILE=(str, "national"),
    REDIS_URL=(str, ""),
    CELERY_BROKER_URL=(str, ""),
    LOG_FORMAT=(str, "text"),
    LOG_LEVEL=(str, "INFO"),
    SECURE_SSL=(bool, False),
)
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(str(env_file))

DEBUG = env("DEBUG")
# The test run uses the development keys unless the environment gives others.
TESTING = "pytest" in sys.modules
# Commands that only read the code (models, migrations, the API schema) need no secret: they run on
# a bare checkout (CI, reviewers) without an environment. Nothing they do signs or decrypts data.
_CODE_ONLY_COMMAND = sys.argv[1:2] in (["makemigrations"], ["check"], ["showmigrations"], ["spectacular"])
_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production"
_DEV_FIELD_KEY = "dev-only-field-encryption-key-change-me"
if DEBUG or TESTING or _CODE_ONLY_COMMAND:
    SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET)
    FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default=_DEV_FIELD_KEY)
else:
    # No defaults outside DEBUG: a production process must not start with a known key.
    SECRET_KEY = env.str("SECRET_KEY")
    FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY")

ALLOWED_HOSTS = env("ALLOWED_HOSTS")
# Reverse proxies in front of the app whose X-Forwarded-For may be believed (0: none).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
POLICY_PROFILE = env("POLICY_PROFILE")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "creditsys",
    "registry",
    "sanctions",
    "disputes",
    "publicity",
]

MIDDLEWARE = [
    # The plain check (应查必查) leaves here for its own handler, with the little it needs of what follows.
    "creditsys.middleware.ShortPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "creditsys.middleware.RequestContextMiddleware",
    "django.middleware.common.CommonMiddleware",
    # API requests go from here straight to their view (key authentication, JSON in Chinese).
    "creditsys.middleware.ApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "creditsys.middleware.AuditUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Path → handler answering the plain requests of that path, or None to leave them to the chain.
SHORT_PATHS = {"/api/v1/check/": "sanctions.api.views.plain_check"}
if env.str("BENCH_FLOOR", default="") == "1":  # the benchmark's check floor takes the check's way (bench/floors.py)
    SHORT_PATHS["/api/v1/bench/check-floor"] = "bench.floors.check_floor"

ROOT_URLCONF = "creditsys.urls"
WSGI_APPLICATION = "creditsys.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "creditsys.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'creditsys.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )
else:
    # A Unix-socket directory written as libpq writes it (postgres://user@%2Fvar%2Frun%2Fpostgresql/db):
    # django-environ keeps it encoded, and psycopg would look it up as a host name.
    DATABASES["default"]["HOST"] = urllib.parse.unquote(DATABASES["default"]["HOST"] or "")
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    # A persistent connection is checked before its first query in each request, so a database
    # restart costs no failed request; on PostgreSQL the check polls the socket (no round trip).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "creditsys.postgresql"  # Django's, with that health check
# Web requests starting within this many seconds of another request's read of the shared memo
# versions (creditsys.versions) use what it read: a change elsewhere reaches every process within it.
VERSIONS_MAX_AGE = env.float("VERSIONS_MAX_AGE", default=0.2)
# Hot-path queries (creditsys.db.PreparedQuery) as server-side prepared statements with one generic
# plan each; 0 behind a transaction-pooling PgBouncer. Django's own queries are never prepared.
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "creditsys.postgresql" and DB_PREPARED_STATEMENTS:
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
    # psycopg prepares nothing when the threshold is None (Django's default), not even on request;
    # a threshold no query reaches: only the statements run with ``prepare=True`` are prepared.
    options.setdefault("prepare_threshold", 2**31)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "registry.User"
API_CLIENT_MODEL = "registry.ApiClient"

# --- Cache, broker --------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "creditsys.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "creditsys",
        }
    }
elif TESTING:
    # Each test run has its own cache, so parallel runs on one machine cannot clear each other's.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # File cache: shared by every process of the embedded default, unlike locmem.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

CELERY_BROKER_URL = env("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = str(VAR_DIR / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _queue_dir,
        "data_folder_out": _queue_dir,
        "control_folder": str(VAR_DIR / "broker-control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

# Every deadline is swept from the database by beat; no long countdowns (SPEC §11).
CELERY_BEAT_SCHEDULE = {
    "calendar-next-year-check": {
        "task": "creditsys.tasks.check_next_year_calendar",
        "schedule": crontab(minute=7, hour=8),
    },
    "sanctions-overdue-tasks": {"task": "sanctions.tasks.sweep_overdue_tasks", "schedule": 60.0},
    "sanctions-expired-entries": {"task": "sanctions.tasks.sweep_expired_entries", "schedule": 60.0},
    "sanctions-deliver-webhooks": {"task": "sanctions.tasks.deliver_webhooks", "schedule": 60.0},
    # 双公示: stop publication at publish-until; 信用承诺: flag commitments not kept by their date.
    "registry-penalty-publication-sweep": {
        "task": "registry.tasks.penalty_publication_sweep",
        "schedule": crontab(),
    },
    "registry-commitment-sweep": {
        "task": "registry.tasks.commitment_sweep",
        "schedule": crontab(),
    },
    "registry-import-requeue": {
        "task": "registry.tasks.import_jobs_requeue",
        "schedule": 300.0,
    },
    # 异议/信用修复: reminders before and escalations after their due dates; the notification outbox.
    "disputes-deadlines-sweep": {"task": "disputes.tasks.deadlines_sweep", "schedule": 60.0},
    "creditsys-deliver-notifications": {"task": "creditsys.tasks.deliver_notifications", "schedule": 60.0},
}
# Notifications by e-mail (SMTP in production; printed to the console in development).
_MAIL = "console" if DEBUG else "smtp"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=f"django.core.mail.backends.{_MAIL}.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="creditsys@localhost")

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "registry:login"
LOGIN_REDIRECT_URL = "registry:home"
LOGOUT_REDIRECT_URL = "registry:login"
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Uploads live outside the web root and are served only by permission-checked views.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "uploads"))

# --- Security headers -----------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
if env("SECURE_SSL"):
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["creditsys.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["creditsys.api.permissions.ReadScope"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "creditsys.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "creditsys.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["creditsys.api.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "creditsys API v1",
    "DESCRIPTION": "信用联合奖惩系统 REST API：县（区）信用办及其他系统推送、拉取、核查与反馈。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"SubjectKindEnum": "registry.models.subjects.Subject.Kind"},
}

# --- Logging: one line per event, JSON in production ----------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "creditsys.logging.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "creditsys.logging.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT"),
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "WARNING"},
    },
}

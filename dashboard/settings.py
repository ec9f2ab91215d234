"""Settings for the video rooms dashboard, read only from the environment.

Every variable is listed in ``.env.example``. The defaults give a single machine with nothing
installed: SQLite and a filesystem Celery broker under ``var/``. Production sets ``DATABASE_URL``,
``REDIS_URL``, ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import env_bool, env_float, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DASHBOARD_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

# --- Core ---------------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (make run creates one under var/)."
        )
    SECRET_KEY = "debug-only-secret-key-never-used-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Served over HTTPS unless told otherwise; a laptop run on http://127.0.0.1 sets DJANGO_HTTPS=0.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY", False) else None
)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "dashboard.apps.DashboardAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "dashboard",
    "audit",
    "rooms",
    "recordings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

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
                "dashboard.context_processors.navigation",
            ],
            # {% partialdef %} and {% partial %} everywhere without {% load %}, as in Django 6.
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------

_database_url = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dashboard.sqlite3'}")
try:
    _database = dj_database_url.parse(
        _database_url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    )
except Exception as exc:  # dj-database-url raises a bare ValueError/KeyError on unknown schemes
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL Django understands (sqlite:///path or postgres://…): {exc}"
    ) from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # A file (not memory) so a Celery worker started by the tests shares the test database, and a
    # busy timeout so the web process and the worker wait for each other instead of failing.
    _database["TEST"] = {"NAME": str(VAR_DIR / "test-dashboard.sqlite3")}
    _database["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    _database["CONN_MAX_AGE"] = 0
else:
    _database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

# --- I18N / static ------------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DASHBOARD_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(env_str("DASHBOARD_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Hashed, compressed file names once `collectstatic` has run (make run, the Docker image); plain
# names before that, so tests and a fresh checkout render pages without a collect step.
_STATIC_MANIFEST = (STATIC_ROOT / "staticfiles.json").exists() and not DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Telnyx -------------------------------------------------------------------------------------

TELNYX_API_KEY = env_str("TELNYX_API_KEY")
TELNYX_API_BASE_URL = env_url("TELNYX_API_BASE_URL", "https://api.telnyx.com/v2").rstrip("/")
TELNYX_WEBHOOK_PUBLIC_KEY = env_str("TELNYX_WEBHOOK_PUBLIC_KEY")
TELNYX_CONNECT_TIMEOUT = env_float("TELNYX_CONNECT_TIMEOUT", 5.0, minimum=0.1, maximum=60)
# Longest wait for one answer from Telnyx (per attempt; pages are held to TELNYX_PAGE_BUDGET_SECS).
TELNYX_READ_TIMEOUT = env_float("TELNYX_READ_TIMEOUT", 15.0, minimum=0.1, maximum=600)
TELNYX_MAX_RETRIES = env_int("TELNYX_MAX_RETRIES", 3, minimum=0, maximum=10)
TELNYX_RETRY_MAX_WAIT = env_float("TELNYX_RETRY_MAX_WAIT", 30.0, minimum=0, maximum=300)
# Web requests: every Telnyx call made for one request shares this budget (retries included); past
# it the page answers from the last data it had. Tasks and commands keep the per-call limits above.
TELNYX_PAGE_BUDGET_SECS = env_float("TELNYX_PAGE_BUDGET_SECS", 3.0, minimum=0.1, maximum=120)
MIDDLEWARE += ["dashboard.middleware.telnyx_budget"]  # innermost: the budget wraps the view alone
# Circuit breaker, shared by every process through the cache: this many timeouts, connection errors
# or 5xx answers within the window open it; while open, calls fail at once for the cool-off.
TELNYX_BREAKER_FAILURES = env_int("TELNYX_BREAKER_FAILURES", 5, minimum=1, maximum=1000)
TELNYX_BREAKER_WINDOW_SECS = env_float("TELNYX_BREAKER_WINDOW_SECS", 30.0, minimum=1, maximum=3600)
TELNYX_BREAKER_COOLOFF_SECS = env_float("TELNYX_BREAKER_COOLOFF_SECS", 15.0, minimum=0.1, maximum=3600)
# Bulkhead: at most this many of a process's web requests wait on Telnyx at once (gunicorn runs 8
# threads each); beyond it a page answers from its last data at once instead of queueing.
TELNYX_BULKHEAD_SIZE = env_int("TELNYX_BULKHEAD_SIZE", 4, minimum=1, maximum=256)

# How often the live session's participant table and the overview's live rooms refresh.
LIVE_SESSION_POLL_SECS = env_float("LIVE_SESSION_POLL_SECS", 3.0, minimum=0.2, maximum=60)

# --- Celery -------------------------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    env_url("REDIS_URL", REDIS_URL, schemes=("redis", "rediss", "unix"))
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    # The embedded broker: kombu's filesystem transport, so one machine runs with no server at all.
    BROKER_DIR = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }

# The cache keeps the last data each page could get from Telnyx (shown, with a banner, while the API
# is down) and holds the locks that keep two full syncs apart: shared by every process.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# The longest countdown any task asks for between retries; the broker must not redeliver an
# unacknowledged (acks_late) message before a retry of it could have been scheduled.
CELERY_TASK_MAX_RETRY_COUNTDOWN = env_int("CELERY_TASK_MAX_RETRY_COUNTDOWN", 600, minimum=1)
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_MAX_RETRY_COUNTDOWN:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_MAX_RETRY_COUNTDOWN, or the broker "
        "redelivers tasks that are merely waiting to retry."
    )
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = CELERY_VISIBILITY_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Queues: a second worker machine joins by pointing at the same REDIS_URL and DATABASE_URL and
# consuming some of them, e.g. ``celery -A dashboard worker -Q archive`` on a host with big disks.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "recordings.tasks.sync_*": {"queue": "sync"},
    "recordings.tasks.poll_*": {"queue": "poll"},
    "recordings.tasks.archive_*": {"queue": "archive"},
}
CELERY_WORKER_QUEUES = env_list("CELERY_WORKER_QUEUES", ["default", "sync", "poll", "archive"])

HEARTBEAT_INTERVAL_SECS = env_int("HEARTBEAT_INTERVAL_SECS", 30, minimum=5)
RECORDINGS_SYNC_INTERVAL_SECS = env_int("RECORDINGS_SYNC_INTERVAL_SECS", 60, minimum=10)
COMPOSITION_POLL_SWEEP_SECS = env_int("COMPOSITION_POLL_SWEEP_SECS", 300, minimum=10)
COMPOSITION_DEADLINE_SECS = env_int("COMPOSITION_DEADLINE_SECS", 7200, minimum=60)
RECORDINGS_ARCHIVE = env_bool("RECORDINGS_ARCHIVE", False)

# Periodic work, by task name so beat does not import the apps' task modules.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "worker-heartbeat": {
        "task": "dashboard.tasks.record_heartbeat",
        "schedule": float(HEARTBEAT_INTERVAL_SECS),
    },
    "recordings-sync": {
        "task": "recordings.tasks.sync_recordings_task",
        "schedule": float(RECORDINGS_SYNC_INTERVAL_SECS),
    },
    "recordings-full-sync": {
        "task": "recordings.tasks.sync_recordings_task",
        "schedule": 86_400.0,
        "kwargs": {"full": True},
    },
    "compositions-poll-sweep": {
        "task": "recordings.tasks.poll_compositions_sweep",
        "schedule": float(COMPOSITION_POLL_SWEEP_SECS),
    },
}

# --- Logging ------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DASHBOARD_LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

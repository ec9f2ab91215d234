"""Settings for the video rooms dashboard, read only from the environment.

Every variable is listed in ``.env.example``. The defaults give a single machine with nothing
installed: SQLite and a filesystem Celery broker under ``var/``. Production sets ``DATABASE_URL``,
``REDIS_URL``, ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS``.

``<DASHBOARD_VAR_DIR>/.env``, written by ``make run`` with what it chose (secret key, sandbox URL and
key), supplies defaults for variables the environment does not set, so ``manage.py`` in another shell
agrees with the running dashboard.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import env_bool, env_float, env_int, env_list, env_str, env_url, load_defaults

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DASHBOARD_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)
load_defaults(VAR_DIR / ".env")

# --- Core ---------------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            f"(make run writes one to {VAR_DIR / '.env'}; manage.py reads it from there)."
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
# Sessions are kept in the database and read from the shared cache (dashboard.sessions).
SESSION_ENGINE = "dashboard.sessions"

# Content-Security-Policy (django-csp) on every response: scripts, styles and everything else only
# from this site's own static files; no inline <script>, <style>, style="…" or on…= handlers (the
# templates keep behaviour in static/js and looks in static/css, and htmx is told not to inject its
# indicator <style>). Inline <svg> elements and their presentation attributes (fill=, width=) are not
# affected. img-src allows data: for the inline favicon.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

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
    "axes",
    "csp",
    "dashboard",
    "audit",
    "rooms",
    "recordings",
    "webhooks",
    "accounts",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages, partials, CSV and JSON gzipped (static files come pre-compressed from WhiteNoise above).
    "dashboard.compression.PageGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
    # Innermost: the Telnyx budget wraps the view alone.
    "dashboard.middleware.telnyx_budget",
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
            "builtins": [
                "template_partials.templatetags.partials",
                # duration, size_mb, day, when, clock: one way to write units on every page.
                "dashboard.templatetags.display",
            ],
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
    # Write-ahead logging: readers never wait for the writer, and a commit is one append to the log
    # instead of a rollback journal created, synced and deleted; synchronous=FULL syncs the log at
    # every commit, so an event answered 2xx survives a power cut, as on PostgreSQL. A writer waits for
    # its turn in the kernel, woken when it is let go, instead of napping in SQLite's busy handler
    # (``dashboard.sqlite``). Connections are kept (DATABASE_CONN_MAX_AGE), as on PostgreSQL.
    # Receiver p50/p95 at 200 events/s with the worker applying them (bench/webhooks.py --only
    # receiver --worker): 192/945 ms before, 59/578 with the log alone, 15/35 with turns alone,
    # 7/22 with both.
    _database["ENGINE"] = "dashboard.sqlite"
    _database["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }
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
# Sign-in throttling (django-axes, see dashboard.login_throttle): after LOGIN_FAILURE_LIMIT failed
# sign-ins for one username from one address, that pair is refused for LOGIN_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "dashboard.login_throttle.LoginThrottleBackend",
    "dashboard.auth_backend.CachedPermissionsBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=7 * 24 * 60)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dashboard.login_throttle.locked_out_response"
AXES_ENABLE_ADMIN = False  # dashboard.admin_site registers the lockouts for the Admin role

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
# With DEBUG off, pages link static files by content-hashed names (css/dashboard.3f2a1c….css) that
# `collectstatic` writes with a manifest and pre-compressed .gz and .br copies (brotli installed);
# WhiteNoise serves those compressed and cached as immutable for ten years. Without DEBUG,
# `collectstatic` must have run (make run and the Docker image do). The test suite sets
# DASHBOARD_HASHED_STATIC=0: plain names, found in the source folders, no collect step.
HASHED_STATIC = env_bool("DASHBOARD_HASHED_STATIC", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if HASHED_STATIC
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Only for files fetched by their plain name (hashed ones are immutable regardless): they can change
# at the next deploy, so a minute, after which the browser revalidates with ETag / Last-Modified.
WHITENOISE_MAX_AGE = 0 if DEBUG else 60

# --- Telnyx -------------------------------------------------------------------------------------

TELNYX_API_KEY = env_str("TELNYX_API_KEY")
TELNYX_API_BASE_URL = env_url("TELNYX_API_BASE_URL", "https://api.telnyx.com/v2").rstrip("/")
TELNYX_WEBHOOK_PUBLIC_KEY = env_str("TELNYX_WEBHOOK_PUBLIC_KEY")
# Webhooks: the address Telnyx reaches this dashboard at (the Webhooks page builds the URL to give
# Telnyx from it), the largest event body accepted, and how long stored events are kept.
DASHBOARD_PUBLIC_URL = env_str("DASHBOARD_PUBLIC_URL").rstrip("/")
if DASHBOARD_PUBLIC_URL:
    env_url("DASHBOARD_PUBLIC_URL", DASHBOARD_PUBLIC_URL)
# The team's video client, where a join token takes a person: {room_id}, {room_name}, {token}
# (e.g. https://meet.example.com/{room_id}?token={token}). Set, the token panel offers a link and a QR code.
JOIN_URL_TEMPLATE = env_str("JOIN_URL_TEMPLATE")
if JOIN_URL_TEMPLATE:
    env_url("JOIN_URL_TEMPLATE", JOIN_URL_TEMPLATE)
    if "{token}" not in JOIN_URL_TEMPLATE:
        raise ImproperlyConfigured("JOIN_URL_TEMPLATE must contain {token}, where the join token goes.")
    try:
        JOIN_URL_TEMPLATE.format_map({"room_id": "", "room_name": "", "token": ""})
    except (KeyError, ValueError, IndexError) as exc:
        raise ImproperlyConfigured(
            f"JOIN_URL_TEMPLATE may use only {{room_id}}, {{room_name}} and {{token}}: {exc}"
        ) from None
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 65_536, minimum=1024, maximum=1_048_576)
WEBHOOK_EVENTS_KEEP_DAYS = env_int("WEBHOOK_EVENTS_KEEP_DAYS", 30, minimum=1)
TELNYX_CONNECT_TIMEOUT = env_float("TELNYX_CONNECT_TIMEOUT", 5.0, minimum=0.1, maximum=60)
# Longest wait for one answer from Telnyx (per attempt; pages are held to TELNYX_PAGE_BUDGET_SECS).
TELNYX_READ_TIMEOUT = env_float("TELNYX_READ_TIMEOUT", 15.0, minimum=0.1, maximum=600)
TELNYX_MAX_RETRIES = env_int("TELNYX_MAX_RETRIES", 3, minimum=0, maximum=10)
TELNYX_RETRY_MAX_WAIT = env_float("TELNYX_RETRY_MAX_WAIT", 30.0, minimum=0, maximum=300)
# Web requests: every Telnyx call made for one request shares this budget (retries included); past
# it the page answers from the last data it had. Tasks and commands keep the per-call limits above.
TELNYX_PAGE_BUDGET_SECS = env_float("TELNYX_PAGE_BUDGET_SECS", 3.0, minimum=0.1, maximum=120)
# A change sent to Telnyx (a POST: mute, kick, create, delete) waits longer than a page read: giving
# up on a change early leaves its outcome unknown, which is worse than a slower answer.
TELNYX_ACTION_BUDGET_SECS = env_float("TELNYX_ACTION_BUDGET_SECS", 10.0, minimum=0.1, maximum=120)
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
# With events, pages read live state from the database; Telnyx is asked about a live session at most
# once every LIVE_RECONCILE_SECS, however many consoles are open (one shared check per session).
LIVE_RECONCILE_SECS = env_float("LIVE_RECONCILE_SECS", 15.0, minimum=1, maximum=600)
LIVE_EVENTS_POLL_SECS = env_float("LIVE_EVENTS_POLL_SECS", 1.0, minimum=0.2, maximum=60)

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
    # Messages are renamed into the queue whole (``dashboard.filesystem_broker``).
    CELERY_BROKER_TRANSPORT = "dashboard.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The worker looks for new messages every 0.1 s, not kombu's 1 s: a join reaches the console's
        # table in 93/121 ms p50/p95 instead of 1,000/1,027 (bench/webhooks.py --only latency). An
        # idle worker (make run's, 2 processes) then uses 0.33% of a core instead of 0.10%.
        "polling_interval": 0.1,
    }

# The cache keeps the last data each page could get from Telnyx (shown, with a banner, while the API
# is down) and holds the locks that keep two full syncs apart: shared by every process.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            # Django's file cache with add and incr atomic across processes (dashboard.file_cache).
            "BACKEND": "dashboard.file_cache.FileBasedCache",
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
# The composition poll sweep's period: each composition's checks (recordings.services.composition_polls)
# wait for the sweep's next run, so a completion shows within its schedule's gap plus this.
COMPOSITION_POLL_SECS = env_int("COMPOSITION_POLL_SECS", 5, minimum=1, maximum=30)
COMPOSITION_DEADLINE_SECS = env_int("COMPOSITION_DEADLINE_SECS", 7200, minimum=60)
RECORDINGS_ARCHIVE = env_bool("RECORDINGS_ARCHIVE", False)

# Governance: retention (0 = keep for ever), confirmation above a count, share links' longest life.
RETENTION_DAYS: int | None = env_int("RETENTION_DAYS", 0, minimum=0) or None
RETENTION_CONFIRM_THRESHOLD = env_int("RETENTION_CONFIRM_THRESHOLD", 100, minimum=0)
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 500, minimum=1, maximum=10_000)
SHARE_LINK_MAX_DAYS = env_int("SHARE_LINK_MAX_DAYS", 7, minimum=1, maximum=365)

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
    "recordings-recount": {"task": "recordings.tasks.recount_totals", "schedule": 86_400.0},
    "compositions-poll": {
        "task": "recordings.tasks.poll_compositions",
        "schedule": float(COMPOSITION_POLL_SECS),
        # A sweep not started within a minute is dropped: after a worker outage a few sweeps catch
        # up, not one per period missed (a minute, not one period: hosts' clocks may differ a little).
        "options": {"expires": 60.0},
    },
    "webhooks-apply-pending": {"task": "webhooks.tasks.apply_pending_events", "schedule": 60.0},
    "webhooks-delete-old": {"task": "webhooks.tasks.delete_old_events", "schedule": 3600.0},
    "governance-retention": {"task": "governance.tasks.apply_retention_task", "schedule": 86_400.0},
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

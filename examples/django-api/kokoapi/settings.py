"""Settings of the Koko Book Store API.

Every book, customer and rental lives in a ``koko.BookStore``. Two settings choose it:

- ``KOKO_STORE`` (env var of the same name): a directory for the embedded sled store (default ``<project>/koko-data``),
  ``memory`` for an in-memory store that is gone when the process ends, or ``postgresql://…``. Sled locks its
  directory: one process at a time.
- ``KOKO_PLAN`` (env var of the same name): ``story3`` (default), ``story1``, ``story2``, or the path of a ``.json`` or
  ``.toml`` price-plan file. A sled store that already exists keeps the plan it was created with.

Django's own small database holds only the API's users, tokens, customer logins, sessions (and on PostgreSQL the
throttles' counters) (``kokoapi.env.api_database``): SQLite beside the sled store by default, the same PostgreSQL
server as koko when koko runs on PostgreSQL, or ``KOKO_API_DATABASE``. ``KOKO_API_AUTH=none`` serves the original
open API (no users, no throttling) for local development.

Security (docs/deploying.md, "Production settings"): with ``DJANGO_DEBUG=0`` a server (``kokoapi.wsgi``, ``kokoapi.asgi``, gunicorn) refuses
a weak ``DJANGO_SECRET_KEY``; the throttles key on the connection's address unless ``KOKO_API_TRUSTED_PROXIES`` says
how many proxies append to ``X-Forwarded-For``; failed logins and failed token authentications are throttled
(``KOKO_API_THROTTLE_LOGIN``, ``KOKO_API_THROTTLE_BAD_TOKEN``); every answer forbids framing; ``KOKO_API_HTTPS=1``
turns on what a site served over HTTPS wants (secure cookies, the redirect to HTTPS, HSTS).

``manage.py send_notices`` mails customers through Django's SMTP backend: ``KOKO_EMAIL_HOST`` / ``KOKO_EMAIL_PORT``
(default ``localhost:25``), optionally ``KOKO_EMAIL_USER``, ``KOKO_EMAIL_PASSWORD``, ``KOKO_EMAIL_TLS=1``, and the
sender ``KOKO_EMAIL_FROM`` (``DEFAULT_FROM_EMAIL``).
"""

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from kokoapi.env import api_database, count, flag, words

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "insecure-dev-key-for-the-koko-example-only"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = flag("DJANGO_DEBUG", "0")
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG=0 with the development secret key: set DJANGO_SECRET_KEY to a long random value "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or DJANGO_DEBUG=1 on your own machine."
    )
# A server also refuses an empty, blank or short key with DEBUG off (kokoapi.env.refuse_weak_secret_key, called by
# kokoapi.wsgi, kokoapi.asgi and gunicorn.conf.py); management commands such as `check` still run, and
# `check --deploy` reports the key (security.W009).
ALLOWED_HOSTS = words("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

KOKO_STORE = os.environ.get("KOKO_STORE", str(BASE_DIR / "koko-data"))
KOKO_PLAN = os.environ.get("KOKO_PLAN", "story3")
# On PostgreSQL: a read-only streaming replica for listings and search (koko falls back to the primary while it is
# down or more than KOKO_STORE_MAX_REPLICA_LAG_MS behind; writes and reads by id always go to the primary).
KOKO_STORE_REPLICA = os.environ.get("KOKO_STORE_REPLICA", "").strip() or None
KOKO_STORE_MAX_REPLICA_LAG_MS = int(os.environ.get("KOKO_STORE_MAX_REPLICA_LAG_MS", "2000") or 2000)

# "token" (default): token and session authentication, roles staff / customer / anonymous, throttling.
# "none": the original open API — anyone may call anything; the server warns at start (bookstore.apps).
KOKO_API_AUTH = os.environ.get("KOKO_API_AUTH", "token").strip().lower()
if KOKO_API_AUTH not in ("token", "none"):
    raise ImproperlyConfigured(f"KOKO_API_AUTH={KOKO_API_AUTH!r}: expected 'token' or 'none'")
AUTH_ENABLED = KOKO_API_AUTH == "token"

# Every list answers keyset pages {"next", "previous", "results"} (bookstore.pagination); "off": the original's plain
# JSON arrays, for old clients.
KOKO_API_PAGINATION = flag("KOKO_API_PAGINATION", "on")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "bookstore",
]

MIDDLEWARE = [
    # First, so that every answer (static files, redirects, errors too) forbids framing: X-Frame-Options: DENY and
    # Content-Security-Policy: frame-ancestors 'none' (kokoapi.security).
    "kokoapi.security.FrameAncestorsNoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "kokoapi.urls"
WSGI_APPLICATION = "kokoapi.wsgi.application"

DATABASES = {"default": api_database(KOKO_STORE, BASE_DIR)}
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("KOKO_API_DATABASE_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The throttles' counters (bookstore.throttling), shared by every worker process: Redis when KOKO_API_REDIS_URL is
# set (pip install -r requirements-redis.txt); else, on PostgreSQL (several workers), a table in Django's database;
# else — koko on sled or in memory lives in ONE process (gunicorn.conf.py refuses more, sled locks its directory) —
# that process's memory, which every thread shares, with no database write per request.
KOKO_ON_POSTGRES = KOKO_STORE.strip().lower().startswith(("postgresql://", "postgres://"))
REDIS_URL = os.environ.get("KOKO_API_REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    # Several app servers behind a load balancer share Redis: sessions (the docs pages' logins) live there too, so
    # any server can answer any request; a lost session only means logging in again (tokens stay in the database).
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
elif KOKO_ON_POSTGRES:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "bookstore_api_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "koko-api",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Opt-in: anonymous catalogue reads (GET /books/…) answered from the shared cache for this many seconds
# (kokoapi.catalogue_cache; 0, the default, turns it off). A book's rental_status may then be that many seconds old
# for anonymous readers; staff and customers (any request with credentials) always read koko.
CATALOGUE_CACHE_SECONDS = int(os.environ.get("KOKO_API_CATALOGUE_CACHE_SECONDS", "0") or 0)
if CATALOGUE_CACHE_SECONDS < 0:
    raise ImproperlyConfigured(f"KOKO_API_CATALOGUE_CACHE_SECONDS={CATALOGUE_CACHE_SECONDS}: expected seconds >= 0")
if CATALOGUE_CACHE_SECONDS:
    MIDDLEWARE.append("kokoapi.catalogue_cache.CatalogueCacheMiddleware")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# The docs pages' assets (Swagger UI and Redoc from drf-spectacular-sidecar: no CDN), served by WhiteNoise.
# `manage.py collectstatic` copies them to KOKO_API_STATIC_ROOT (the Dockerfile does); without it they are served
# from the installed packages.
STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("KOKO_API_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True

# The docs pages log in with a session (/api-auth/login/, bookstore.login: failed logins throttled); API clients send
# "Authorization: Token <key>". Logging out (POST /api-auth/logout/) goes back to the docs.
LOGIN_URL = "rest_framework:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
X_FRAME_OPTIONS = "DENY"

# KOKO_API_HTTPS=1: clients reach the API over HTTPS only (TLS at gunicorn, or at a trusted proxy that sets
# X-Forwarded-Proto): session and CSRF cookies only over HTTPS, plain HTTP redirected to HTTPS (but /health/, which a
# load balancer checks over HTTP), and HSTS for KOKO_API_HSTS_SECONDS (a year by default). KOKO_API_SECURE_COOKIES=1
# alone only marks the cookies.
HTTPS = flag("KOKO_API_HTTPS", "0")
SESSION_COOKIE_SECURE = HTTPS or flag("KOKO_API_SECURE_COOKIES", "0")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = count("KOKO_API_HSTS_SECONDS", "31536000")
# manage.py check --deploy: the API cannot know whether every subdomain of its host serves HTTPS, nor whether the
# domain's owner wants it on the browsers' preload list; both are the domain's decision, not this application's.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# KOKO_API_TRUSTED_PROXIES: how many proxies in front of the app servers append the client's address to
# X-Forwarded-For (DRF's NUM_PROXIES). 0, the default: the throttles key on the connection's own address and ignore
# the header, which a client writes as it likes; n: the n-th address from the end (one HAProxy: 1). With a trusted
# proxy and KOKO_API_HTTPS=1, its X-Forwarded-Proto says whether the client used HTTPS.
TRUSTED_PROXIES = count("KOKO_API_TRUSTED_PROXIES", "0")
if HTTPS and TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The quote page (examples/web-quote) reads /plan/ and /quotes/ from another origin.
CORS_ALLOWED_ORIGINS = words("KOKO_API_CORS_ORIGINS", "http://127.0.0.1:8080,http://localhost:8080")

THROTTLE_RATES = {
    "anon": os.environ.get("KOKO_API_THROTTLE_ANON", "120/minute"),
    "user": os.environ.get("KOKO_API_THROTTLE_USER", "1200/minute"),
    # Failed logins at /api-auth/login/, per username and per client address (bookstore.login).
    "login": os.environ.get("KOKO_API_THROTTLE_LOGIN", "10/hour"),
    # Failed token authentications (an unknown or revoked token), per client address (bookstore.auth).
    "bad_token": os.environ.get("KOKO_API_THROTTLE_BAD_TOKEN", "30/minute"),
}
for _scope, _rate in THROTTLE_RATES.items():
    if not re.fullmatch(r"[0-9]{1,9}/[smhd][a-z]*", _rate.strip()):
        raise ImproperlyConfigured(f"the {_scope} throttle rate {_rate!r}: expected e.g. 120/minute (s, m, h or d)")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": (
        ["bookstore.auth.TokenAuthentication", "rest_framework.authentication.SessionAuthentication"]
        if AUTH_ENABLED
        else []
    ),
    # Each view names its own (bookstore.permissions); this default only covers a view that forgets.
    "DEFAULT_PERMISSION_CLASSES": ["bookstore.permissions.IsStaff"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser" if AUTH_ENABLED else None,
    "DEFAULT_THROTTLE_CLASSES": (
        ["bookstore.throttling.AnonThrottle", "bookstore.throttling.UserThrottle"]
        if AUTH_ENABLED
        else []
    ),
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["bookstore.parsers.JSONParser"],  # DRF's, with a depth limit
    "EXCEPTION_HANDLER": "bookstore.errors.koko_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "bookstore.schema.KokoAutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Koko Book Store API",
    "DESCRIPTION": (
        "The book store's REST API, every rule in koko. Authenticate with `Authorization: Token <key>` "
        "(`manage.py drf_create_token USER` for staff, `manage.py customer_login CUSTOMER_ID USERNAME` or "
        "`POST /customers/{id}/login/` for customers), or log in at `/api-auth/login/` to try the API from this page. "
        "Roles: staff (everything), customers (their own rentals, account, holds and notices; rent and return at "
        "the server's time), anonymous (the catalogue, the current plan and quotes). Another customer's records "
        "answer 404, as if they did not exist. Money is always a decimal string."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    # bookstore.urls.IdConverter: a positive id of at most 19 digits (anything else is not a route).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 9999999999999999999}},
    "ENUM_NAME_OVERRIDES": {
        "BookRentalStatusEnum": ["Available", "Rented Out"],
        "RentalStatusEnum": ["Active", "Closed", "Lost"],
        "HealthEnum": ["ok", "unavailable"],
        "DatabaseHealthEnum": ["ok", "unavailable", "unused"],
        "WebhookStateEnum": ["active", "paused", "failed"],
        "DeliveryStateEnum": ["pending", "delivered", "failed"],
    },
}

# Errors are logged with their tracebacks on stderr whatever DEBUG says (Django alone only mails them to ADMINS
# when DEBUG=0); gunicorn and docker collect stderr.
LOG_LEVEL = os.environ.get("KOKO_API_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} pid={process:d} {message}", "style": "{"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django.request": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "bookstore": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
    },
}

# Email, for `manage.py send_notices`: an SMTP server (KOKO_EMAIL_HOST, KOKO_EMAIL_PORT) and the sender.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("KOKO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KOKO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KOKO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KOKO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = flag("KOKO_EMAIL_TLS", "0")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("KOKO_EMAIL_FROM", "Koko Book Store <books@localhost>")

# Background workers (bookstore.workers): the webhook relay, the notices (on a schedule and as koko's events make them
# due) and export jobs. KOKO_API_WORKERS: "thread" (the default on sled: a thread in the API server), "celery" (the
# default on PostgreSQL: `celery -A kokoapi.celery worker` and `celery -A kokoapi.celery beat`, Redis the broker) or
# "off" (nothing runs them but `manage.py run_workers`). Intervals in seconds.
KOKO_API_WORKERS = os.environ.get("KOKO_API_WORKERS", "celery" if KOKO_ON_POSTGRES else "thread").strip().lower()
if KOKO_API_WORKERS not in ("thread", "celery", "off"):
    raise ImproperlyConfigured(f"KOKO_API_WORKERS={KOKO_API_WORKERS!r}: expected 'thread', 'celery' or 'off'")
KOKO_API_RELAY_SECONDS = count("KOKO_API_RELAY_SECONDS", "5")
KOKO_API_NOTICE_EVENTS_SECONDS = count("KOKO_API_NOTICE_EVENTS_SECONDS", "2")
KOKO_API_NOTICES_SECONDS = count("KOKO_API_NOTICES_SECONDS", "60")
KOKO_API_EXPORT_EXPIRY_CHECK_SECONDS = count("KOKO_API_EXPORT_EXPIRY_CHECK_SECONDS", "3600")
# A lease (bookstore.workers.lease) a worker that died holding it keeps for this long.
KOKO_API_WORKER_LEASE_SECONDS = count("KOKO_API_WORKER_LEASE_SECONDS", "300")
# Export jobs (POST /exports/): their files, kept this long once done (then 410 Gone). Celery workers on several
# machines need this directory shared with the API servers.
KOKO_API_EXPORTS_DIR = os.environ.get("KOKO_API_EXPORTS_DIR") or (
    str(BASE_DIR / "koko-exports")
    if KOKO_ON_POSTGRES or KOKO_STORE.strip().lower() == "memory"
    else KOKO_STORE.rstrip("/\\") + "-exports"
)
KOKO_API_EXPORT_EXPIRY_SECONDS = count("KOKO_API_EXPORT_EXPIRY_SECONDS", "86400")
KOKO_API_EXPORT_CHUNK_BYTES = 256 * 1024
CELERY_BROKER_URL = os.environ.get("KOKO_API_CELERY_BROKER", "").strip() or REDIS_URL or "redis://127.0.0.1:6379/0"
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues an export does not wait long for a broker that is down (the beat sweep runs the job later).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Webhooks (bookstore.webhooks): each delivery waits at most KOKO_WEBHOOK_TIMEOUT_SECONDS for the receiver's answer; a
# failed one is retried after KOKO_WEBHOOK_BACKOFF_SECONDS, doubling up to KOKO_WEBHOOK_BACKOFF_MAX_SECONDS, for
# KOKO_WEBHOOK_RETRY_HOURS from its first failure; then the webhook is "failed" until a manual retry. A relay holds a
# webhook's lease for KOKO_WEBHOOK_LEASE_SECONDS (at least the timeout and a second), renewed before each delivery.
KOKO_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("KOKO_WEBHOOK_TIMEOUT_SECONDS", "10") or 10)
KOKO_WEBHOOK_RETRY_HOURS = float(os.environ.get("KOKO_WEBHOOK_RETRY_HOURS", "24") or 24)
KOKO_WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("KOKO_WEBHOOK_BACKOFF_SECONDS", "10") or 10)
KOKO_WEBHOOK_BACKOFF_MAX_SECONDS = float(os.environ.get("KOKO_WEBHOOK_BACKOFF_MAX_SECONDS", "3600") or 3600)
KOKO_WEBHOOK_LEASE_SECONDS = float(os.environ.get("KOKO_WEBHOOK_LEASE_SECONDS", "60") or 60)
for _name in ("TIMEOUT_SECONDS", "RETRY_HOURS", "BACKOFF_SECONDS", "BACKOFF_MAX_SECONDS", "LEASE_SECONDS"):
    if not globals()[f"KOKO_WEBHOOK_{_name}"] > 0:
        raise ImproperlyConfigured(f"KOKO_WEBHOOK_{_name}: expected a number above 0")

"""Settings of the Koko Book Store API.

Every book, customer and rental lives in a ``koko.BookStore``: there is no Django database. Two settings choose it:

- ``KOKO_STORE`` (env var of the same name): a directory for the embedded sled store (default ``<project>/koko-data``),
  or ``memory`` for an in-memory store that is gone when the process ends. Sled locks its directory: one process
  at a time.
- ``KOKO_PLAN`` (env var of the same name): ``story3`` (default), ``story1``, ``story2``, or the path of a ``.json`` or
  ``.toml`` price-plan file. A sled store that already exists keeps the plan it was created with.

``manage.py send_notices`` mails customers through Django's SMTP backend: ``KOKO_EMAIL_HOST`` / ``KOKO_EMAIL_PORT``
(default ``localhost:25``), optionally ``KOKO_EMAIL_USER``, ``KOKO_EMAIL_PASSWORD``, ``KOKO_EMAIL_TLS=1``, and the
sender ``KOKO_EMAIL_FROM`` (``DEFAULT_FROM_EMAIL``).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-dev-key-for-the-koko-example-only")
DEBUG = _env_flag("DJANGO_DEBUG", "0")
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]

INSTALLED_APPS = [
    "rest_framework",
    "bookstore",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "kokoapi.urls"
WSGI_APPLICATION = "kokoapi.wsgi.application"

# koko holds all the data; no app here needs a database.
DATABASES: dict = {}

# Templates only render the notices' emails (bookstore/templates/bookstore/notices/); the API answers JSON.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

REST_FRAMEWORK = {
    # No django.contrib.auth: nobody is logged in and everybody may call the API.
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "bookstore.errors.koko_exception_handler",
}

# Email, for `manage.py send_notices`: an SMTP server (KOKO_EMAIL_HOST, KOKO_EMAIL_PORT) and the sender.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("KOKO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KOKO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("KOKO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("KOKO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_flag("KOKO_EMAIL_TLS", "0")
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("KOKO_EMAIL_FROM", "Koko Book Store <books@localhost>")

KOKO_STORE = os.environ.get("KOKO_STORE", str(BASE_DIR / "koko-data"))
KOKO_PLAN = os.environ.get("KOKO_PLAN", "story3")

"""Reading the environment for settings.py: flags, lists, and where Django's own small database lives."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

POSTGRES_SCHEMES = ("postgresql", "postgres")
SQLITE_OPTIONS = {
    # WAL lets readers and the one writer work at once; NORMAL syncs at checkpoints, not at every commit (an
    # application crash loses nothing; a power cut may lose the last throttle counts, never koko's data).
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "timeout": 20,
}


def flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def words(name: str, default: str) -> list:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def count(name: str, default: str) -> int:
    """A whole number >= 0 (ASCII digits); anything else refuses to start, naming the variable."""
    raw = os.environ.get(name, default).strip()
    if not (raw.isascii() and raw.isdigit()):
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number (0, 1, 2, …)")
    return int(raw)


# Django's own test of a secret key (``manage.py check --deploy``, security.W009).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def weak_secret_key(key: str, debug: bool) -> Optional[str]:
    """Why a server must not start with ``key`` as its ``SECRET_KEY`` (one line), or None. With ``DEBUG`` on anything
    goes; off, the key must pass Django's own test: at least 50 characters, at least 5 different ones."""
    if debug:
        return None
    if not key.strip():
        return "DJANGO_SECRET_KEY is unset, empty or blank"
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return (f"DJANGO_SECRET_KEY is too weak ({len(key)} characters, {len(set(key))} different; Django wants at "
                f"least {SECRET_KEY_MIN_LENGTH} and {SECRET_KEY_MIN_UNIQUE_CHARACTERS})")
    return None


def refuse_weak_secret_key(settings) -> None:
    """Raises ImproperlyConfigured, one line, when a server must not start with the settings' ``SECRET_KEY`` (see
    ``weak_secret_key``)."""
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django's own refusal of an empty key: say it as for any weak one
        key = ""
    reason = weak_secret_key(key, settings.DEBUG)
    if reason is not None:
        raise ImproperlyConfigured(
            f"{reason}: with DJANGO_DEBUG=0 set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )


def database_from_url(url: str) -> dict:
    """Django's DATABASES entry for ``postgresql://user:password@host:port/name?sslmode=…`` or
    ``sqlite:///absolute/path`` (``sqlite://relative/path``)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise ImproperlyConfigured(f"{url!r}: a SQLite URL needs a file path, e.g. sqlite:///srv/koko/api.sqlite3")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": dict(SQLITE_OPTIONS)}
    if scheme in POSTGRES_SCHEMES:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
    raise ImproperlyConfigured(f"{url!r}: expected a postgresql://… or sqlite:///… URL")


def api_database(store: str, base_dir: Path) -> dict:
    """Django's database (users, tokens, customer logins, sessions, on PostgreSQL the throttles' counters):
    ``KOKO_API_DATABASE`` when set; else the PostgreSQL server koko uses (same database, Django's own tables: none
    starts with ``koko_``); else a SQLite file beside the sled store (``<store>-auth.sqlite3``), or in the project for an
    in-memory store."""
    explicit = os.environ.get("KOKO_API_DATABASE", "").strip()
    if explicit:
        return database_from_url(explicit)
    location = store.strip()
    if location.lower().startswith(tuple(f"{s}://" for s in POSTGRES_SCHEMES)):
        return database_from_url(location)
    if location.lower() == "memory":
        path = base_dir / "koko-auth.sqlite3"
    else:
        store_dir = Path(location).expanduser().resolve()
        path = store_dir.with_name(store_dir.name + "-auth.sqlite3")
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": dict(SQLITE_OPTIONS)}

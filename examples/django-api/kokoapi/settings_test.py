"""The test suite's settings: the real ones, with a secret key of their own (DJANGO_DEBUG=0 refuses the development
key) and throttles loose enough for the suite (tests/test_throttling.py tightens them)."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-of-the-koko-example-never-for-a-server")
os.environ.setdefault("KOKO_API_THROTTLE_ANON", "100000/minute")
os.environ.setdefault("KOKO_API_THROTTLE_USER", "100000/minute")

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from .settings import *  # noqa: E402,F401,F403
from .settings import DATABASES  # noqa: E402

# A file, not SQLite's in-memory database: the race tests' threads open connections of their own and must see the
# committed test users (tests/test_concurrency.py).
DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"koko-api-test-{os.getpid()}.sqlite3")}

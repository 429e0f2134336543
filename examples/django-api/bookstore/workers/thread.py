"""The workers as a thread inside the API server (``KOKO_API_WORKERS=thread``, the default on sled, where one process
owns the store): the same functions Celery runs on PostgreSQL, on the same schedule, with no other service.

``start()`` is called by the server's start (``kokoapi.wsgi``: gunicorn, runserver) — never by ``AppConfig.ready``,
so tests and management commands start no thread — and ``stop()`` by gunicorn's ``worker_exit`` hook and at exit:
it ends the loop after the work in progress and waits for it. ``wake()`` (a new export job) ends the wait at once.
``manage.py run_workers`` runs the same loop in the foreground.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Callable, Dict, Optional

import koko
from django.conf import settings
from django.db import close_old_connections, connections

from ..notices import SmtpUnreachable
from ..store import get_store
from . import exports, notices, relay

logger = logging.getLogger("bookstore.workers")


class Workers:
    """The loop: each turn runs what is due — queued export jobs (at once), the relay, the notices' event consumer,
    the scheduled notices and the exports' expiry (each every so many seconds, from settings)."""

    def __init__(self, store: Callable[[], koko.BookStore] = get_store) -> None:
        self.store = store
        self.worker = exports.worker_name()
        self.stopping = threading.Event()
        self.woken = threading.Event()
        self.thread: Optional[threading.Thread] = None
        self.jobs: Dict[str, tuple] = {
            "relay": (settings.KOKO_API_RELAY_SECONDS, lambda s, now: relay.relay(s, now)),
            "notice-events": (settings.KOKO_API_NOTICE_EVENTS_SECONDS, notices.on_events),
            "notices": (settings.KOKO_API_NOTICES_SECONDS, notices.scheduled),
            "export-expiry": (settings.KOKO_API_EXPORT_EXPIRY_CHECK_SECONDS, lambda s, now: exports.expire(now)),
        }
        self.due = {name: 0.0 for name in self.jobs}

    def turn(self) -> float:
        """Runs what is due now; answers the seconds until the next job is due."""
        close_old_connections()
        store = self.store()
        self.woken.clear()
        self.attempt("exports", lambda: exports.run_queued(store, self.worker))
        for name, (every, job) in self.jobs.items():
            if self.stopping.is_set():
                break
            if time.monotonic() >= self.due[name]:
                self.attempt(name, lambda: job(store, dt.datetime.now(dt.timezone.utc)))
                self.due[name] = time.monotonic() + every
        return max(0.0, min(self.due.values()) - time.monotonic())

    def attempt(self, name: str, job: Callable[[], object]) -> None:
        try:
            job()
        except SmtpUnreachable as exc:  # tried again at the next turn
            logger.warning("worker job %s: %s", name, exc)
        except Exception:  # one failing job stops neither the others nor the loop
            logger.exception("worker job %s failed", name)

    def run_forever(self) -> None:
        """Turns until ``stop()``; a new export job (``wake()``) starts a turn at once."""
        logger.info("workers: running (relay every %ss, notices every %ss)", settings.KOKO_API_RELAY_SECONDS,
                    settings.KOKO_API_NOTICES_SECONDS)
        try:
            while not self.stopping.is_set():
                try:
                    wait = min(self.turn(), 1.0)
                except Exception:  # the store or the database unavailable: try again shortly
                    logger.exception("workers: turn failed")
                    wait = 5.0
                self.woken.wait(wait)
        finally:
            connections.close_all()
            logger.info("workers: stopped")

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run_forever, name="koko-workers", daemon=True)
        self.thread.start()

    def wake(self) -> None:
        self.woken.set()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.woken.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout)


_lock = threading.Lock()
_workers: Optional[Workers] = None


def start() -> Optional[Workers]:
    """Starts the process's worker thread once, when ``KOKO_API_WORKERS=thread``; answers it (None otherwise)."""
    global _workers
    if settings.KOKO_API_WORKERS != "thread":
        return None
    with _lock:
        if _workers is None:
            import atexit

            _workers = Workers()
            _workers.start()
            atexit.register(stop)
        return _workers


def stop(timeout: float = 30.0) -> None:
    """Stops the process's worker thread, if it runs, waiting up to ``timeout`` seconds for its turn to end."""
    global _workers
    with _lock:
        workers, _workers = _workers, None
    if workers is not None:
        workers.stop(timeout)


def wake() -> None:
    """Tells the process's worker thread that an export job is queued."""
    workers = _workers
    if workers is not None:
        workers.wake()

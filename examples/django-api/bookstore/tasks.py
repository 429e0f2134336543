"""The Celery tasks (``kokoapi.celery``): thin wrappers over ``bookstore.workers``, which the API server's thread
runs too on sled. Each opens the worker process's store lazily (``get_store``) and returns a count for the logs."""

from __future__ import annotations

import datetime as dt

from kokoapi.celery import app

from .store import get_store
from .workers import exports, notices, relay as webhooks


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@app.task(name="bookstore.relay", ignore_result=True)
def relay() -> int:
    """One turn of the webhook relay: the events delivered."""
    return webhooks.relay(get_store(), _now())


@app.task(name="bookstore.notices", ignore_result=True)
def send_notices() -> int:
    """The scheduled notices run: the emails sent (0 when another run holds the lease)."""
    run = notices.scheduled(get_store(), _now())
    return run.emails if run is not None else 0


@app.task(name="bookstore.notice_events", ignore_result=True)
def notice_events() -> int:
    """The notices as events make them due: the emails sent."""
    run = notices.on_events(get_store(), _now())
    return run.emails if run is not None else 0


@app.task(name="bookstore.run_export", ignore_result=True)
def run_export(job_id: int) -> bool:
    """Runs export job ``job_id`` unless another worker claimed it."""
    return exports.run(get_store(), job_id)


@app.task(name="bookstore.run_queued_exports", ignore_result=True)
def run_queued_exports() -> int:
    """The sweep: queued jobs whose message was lost."""
    return exports.run_queued(get_store())


@app.task(name="bookstore.expire_exports", ignore_result=True)
def expire_exports() -> int:
    """Deletes the expired export files."""
    return exports.expire()

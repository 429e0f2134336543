"""The Celery app of the API's background workers (``KOKO_API_WORKERS=celery``, the default on PostgreSQL), with
Redis as the broker (``KOKO_API_CELERY_BROKER``, else ``KOKO_API_REDIS_URL``):

    celery -A kokoapi.celery worker -l info     # as many as you like, on any machine that reaches PostgreSQL
    celery -A kokoapi.celery beat -l info       # exactly one: the schedule below

The tasks (``bookstore.tasks``) are thin wrappers over ``bookstore.workers``, the same functions the API server's
thread runs on sled; the schedule's intervals are settings (``KOKO_API_RELAY_SECONDS``, …). Several workers never do
the same work twice: leases and job claims live in Django's database, not in Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokoapi.settings")

app = Celery("kokoapi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["bookstore"])


def beat_schedule(settings) -> dict:
    """Celery beat's schedule, from the settings' intervals (seconds)."""
    return {
        "webhooks-relay": {"task": "bookstore.relay", "schedule": float(settings.KOKO_API_RELAY_SECONDS)},
        "notice-events": {"task": "bookstore.notice_events", "schedule": float(settings.KOKO_API_NOTICE_EVENTS_SECONDS)},
        "notices": {"task": "bookstore.notices", "schedule": float(settings.KOKO_API_NOTICES_SECONDS)},
        "queued-exports": {"task": "bookstore.run_queued_exports", "schedule": float(settings.KOKO_API_NOTICES_SECONDS)},
        "export-expiry": {
            "task": "bookstore.expire_exports",
            "schedule": float(settings.KOKO_API_EXPORT_EXPIRY_CHECK_SECONDS),
        },
    }


@app.on_after_configure.connect
def _schedule(sender, **kwargs) -> None:
    from django.conf import settings

    sender.conf.beat_schedule = beat_schedule(settings)

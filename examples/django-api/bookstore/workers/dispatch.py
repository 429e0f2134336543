"""Handing a new export job to whoever runs the workers (``KOKO_API_WORKERS``): the thread is woken; a Celery task is
sent once the job's row is committed (Celery beat's sweep, ``bookstore.tasks.run_queued_exports``, picks up a job
whose message was lost); with ``off``, ``manage.py run_workers`` runs it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

logger = logging.getLogger("bookstore.workers")


def export_queued(job_id: int) -> None:
    mode = settings.KOKO_API_WORKERS
    if mode == "thread":
        from .thread import wake

        transaction.on_commit(wake)
    elif mode == "celery":
        transaction.on_commit(lambda: send_export_task(job_id))


def send_export_task(job_id: int) -> None:
    try:
        from .. import tasks  # Celery itself (requirements-celery.txt)

        tasks.run_export.delay(job_id)
    except Exception as exc:  # no Celery, or the broker down: the beat sweep runs it later
        logger.warning("export %s: not sent to Celery (%s); the sweep will run it", job_id, exc)

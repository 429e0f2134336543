"""Export jobs (``POST /exports/``): a worker claims a queued job, streams koko's CSV of its kind to a file in
``KOKO_API_EXPORTS_DIR`` while recording the rows written, and marks it done with the time its file expires
(``KOKO_API_EXPORT_EXPIRY_SECONDS``, a day by default); ``expire`` deletes expired files.

koko writes the CSV (``BookStore.export_csv_chunks``: the columns and rows of ``koko export KIND``); this module only
copies its chunks to a file. A job is claimed with one conditional UPDATE (queued → running), so of several workers
offered the same job exactly one runs it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import time
from pathlib import Path
from typing import List, Optional

import koko
from django.conf import settings
from django.utils import timezone

from ..models import ExportJob

logger = logging.getLogger("bookstore.workers")

KINDS = tuple(kind for kind, _ in ExportJob.KINDS)
PROGRESS_SECONDS = 0.5  # how often a running job's row count is saved


def worker_name() -> str:
    """This worker, as a job records it: host, process and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def directory() -> Path:
    path = Path(settings.KOKO_API_EXPORTS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(job: ExportJob) -> Path:
    """Where a job's CSV is (once done)."""
    return Path(settings.KOKO_API_EXPORTS_DIR) / f"export-{job.pk}-{job.kind}.csv"


def create(kind: str, user=None) -> ExportJob:
    """A queued job (``kind`` is checked by the view's serializer)."""
    return ExportJob.objects.create(kind=kind, created_at=timezone.now(), created_by=user)


def claim(job_id: int, worker: str) -> bool:
    """Takes a queued job for ``worker``: True for exactly one of the workers racing for it."""
    return ExportJob.objects.filter(pk=job_id, state=ExportJob.QUEUED).update(
        state=ExportJob.RUNNING, started_at=timezone.now(), worker=worker
    ) == 1


def run(store: koko.BookStore, job_id: int, worker: Optional[str] = None) -> bool:
    """Runs job ``job_id`` if it is still queued (claiming it first); False when another worker has it."""
    worker = worker or worker_name()
    if not claim(job_id, worker):
        return False
    job = ExportJob.objects.get(pk=job_id)
    path = file_path(job)
    partial = path.with_name(path.name + ".part")
    chunks = None
    try:
        directory()
        chunks = store.export_csv_chunks(job.kind, chunk_size=settings.KOKO_API_EXPORT_CHUNK_BYTES)
        saved = time.monotonic()
        with open(partial, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
                if time.monotonic() - saved >= PROGRESS_SECONDS:
                    ExportJob.objects.filter(pk=job_id).update(rows=chunks.rows)
                    saved = time.monotonic()
        os.replace(partial, path)
    except Exception as exc:  # a failed job says why; the worker goes on with the next
        if chunks is not None:
            chunks.close()
        partial.unlink(missing_ok=True)
        logger.exception("export %s (%s) failed", job_id, job.kind)
        ExportJob.objects.filter(pk=job_id).update(
            state=ExportJob.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return True
    finished = timezone.now()
    ExportJob.objects.filter(pk=job_id).update(
        state=ExportJob.DONE,
        rows=chunks.rows,
        finished_at=finished,
        expires_at=finished + dt.timedelta(seconds=settings.KOKO_API_EXPORT_EXPIRY_SECONDS),
    )
    logger.info("export %s (%s): %s rows in %s", job_id, job.kind, chunks.rows, finished - job.started_at)
    return True


def queued() -> List[int]:
    return list(ExportJob.objects.filter(state=ExportJob.QUEUED).order_by("pk").values_list("pk", flat=True))


def run_queued(store: koko.BookStore, worker: Optional[str] = None) -> int:
    """Runs every queued job this worker can claim, oldest first; answers how many it ran."""
    worker = worker or worker_name()
    return sum(run(store, job_id, worker) for job_id in queued())


def expire(now: Optional[dt.datetime] = None) -> int:
    """Deletes the files of done jobs whose time is up (state ``expired``), and fails jobs left running longer than
    the expiry (their worker died); answers how many files were deleted."""
    now = now or timezone.now()
    deleted = 0
    for job in ExportJob.objects.filter(state=ExportJob.DONE, expires_at__lte=now):
        if ExportJob.objects.filter(pk=job.pk, state=ExportJob.DONE).update(state=ExportJob.EXPIRED) == 1:
            file_path(job).unlink(missing_ok=True)
            deleted += 1
    lost = now - dt.timedelta(seconds=settings.KOKO_API_EXPORT_EXPIRY_SECONDS)
    ExportJob.objects.filter(state=ExportJob.RUNNING, started_at__lte=lost).update(
        state=ExportJob.FAILED, finished_at=now, error="its worker stopped before it was done"
    )
    return deleted

"""gunicorn's settings for the API: ``gunicorn -c gunicorn.conf.py kokoapi.wsgi``.

koko on sled (the default) or in memory lives in ONE process: one worker serves it with threads, and several workers
are refused (sled locks its directory; memory stores would each be another store). koko on PostgreSQL
(``KOKO_STORE=postgresql://…``) takes several workers.

Environment: ``KOKO_API_BIND`` (default ``127.0.0.1:8000``; ``0.0.0.0:8000`` in a container), ``GUNICORN_WORKERS``
(default 1 on sled, 2 × CPUs up to 8 on PostgreSQL), ``GUNICORN_THREADS`` (default 8).
"""

import multiprocessing
import os

on_postgres = os.environ.get("KOKO_STORE", "").strip().lower().startswith(("postgresql://", "postgres://"))

wsgi_app = "kokoapi.wsgi"
bind = os.environ.get("KOKO_API_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", min(8, 2 * multiprocessing.cpu_count()) if on_postgres else 1))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Refuses several workers unless koko runs on PostgreSQL (``-w`` on the command line is checked too), and, with
    ``DJANGO_DEBUG=0``, a weak ``DJANGO_SECRET_KEY`` (one line here, before any worker boots; ``kokoapi.wsgi`` refuses
    it too)."""
    if server.cfg.workers > 1 and not on_postgres:
        raise SystemExit(
            f"gunicorn.conf.py: {server.cfg.workers} workers on a sled or memory store: one process serves it "
            "(use threads: GUNICORN_THREADS), or set KOKO_STORE=postgresql://… for several workers"
        )
    from kokoapi.env import flag, weak_secret_key

    reason = weak_secret_key(os.environ.get("DJANGO_SECRET_KEY", ""), flag("DJANGO_DEBUG", "0"))
    if reason is not None:
        raise SystemExit(f"gunicorn.conf.py: {reason}: with DJANGO_DEBUG=0 set it to a long random value")


def worker_exit(server, worker):
    """Stops the background workers' thread (``KOKO_API_WORKERS=thread``, started by ``kokoapi.wsgi``) after the job
    in progress, before the worker process exits."""
    from bookstore.workers.thread import stop

    stop(timeout=graceful_timeout)

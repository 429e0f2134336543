"""WSGI entry point. Sled serves ONE process: run a single worker (threads are fine). It starts the background workers'
thread when ``KOKO_API_WORKERS=thread`` (bookstore.workers.thread).

With ``DJANGO_DEBUG=0`` the server refuses to start with an empty, blank or short ``DJANGO_SECRET_KEY``
(``kokoapi.env.refuse_weak_secret_key``): sessions, CSRF tokens and password resets are signed with it."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from kokoapi.env import refuse_weak_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokoapi.settings")

refuse_weak_secret_key(settings)
application = get_wsgi_application()

# The background workers (KOKO_API_WORKERS=thread, the default on sled): a thread of this server process; gunicorn's
# worker_exit hook (gunicorn.conf.py) and the process's exit stop it. Not in AppConfig.ready: tests and management
# commands start none.
from bookstore.workers.thread import start as start_workers  # noqa: E402

start_workers()

"""ASGI entry point. Sled serves ONE process: run a single worker.

With ``DJANGO_DEBUG=0`` the server refuses to start with an empty, blank or short ``DJANGO_SECRET_KEY``
(``kokoapi.env.refuse_weak_secret_key``)."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from kokoapi.env import refuse_weak_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokoapi.settings")

refuse_weak_secret_key(settings)
application = get_asgi_application()

# The background workers' thread (KOKO_API_WORKERS=thread), as kokoapi.wsgi starts it.
from bookstore.workers.thread import start as start_workers  # noqa: E402

start_workers()

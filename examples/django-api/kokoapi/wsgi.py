"""WSGI entry point. Sled serves ONE process: run a single worker (threads are fine)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokoapi.settings")

application = get_wsgi_application()

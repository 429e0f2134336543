"""ASGI entry point. Sled serves ONE process: run a single worker."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokoapi.settings")

application = get_asgi_application()

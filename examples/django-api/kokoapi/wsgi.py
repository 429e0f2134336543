"""WSGI entry point. Sled serves ONE process: run a single worker (threads are fine).

With ``DJANGO_DEBUG=0`` the server refuses to start with an empty, blank or short ``DJANGO_SECRET_KEY``
(``kokoapi.env.refuse_weak_secret_key``): sessions, CSRF tokens and password resets are signed with it."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from kokoapi.env import refuse_weak_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokoapi.settings")

refuse_weak_secret_key(settings)
application = get_wsgi_application()

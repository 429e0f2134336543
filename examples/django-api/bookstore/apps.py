import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("bookstore")

OPEN_API_WARNING = """
************************************************************************************************
*  KOKO_API_AUTH=none: authentication is OFF. Anyone who can reach this server may read and    *
*  change everything, backdate rentals and returns, and publish price plans. For your own      *
*  machine only: unset KOKO_API_AUTH before anyone else can reach it.                          *
************************************************************************************************"""


class BookstoreConfig(AppConfig):
    name = "bookstore"
    verbose_name = "Koko Book Store API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

        if not settings.AUTH_ENABLED:
            logger.warning(OPEN_API_WARNING)

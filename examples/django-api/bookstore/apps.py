from django.apps import AppConfig


class BookstoreConfig(AppConfig):
    name = "bookstore"
    verbose_name = "Koko Book Store API"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)

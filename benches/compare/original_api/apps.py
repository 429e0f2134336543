from django.apps import AppConfig


class OriginalApiConfig(AppConfig):
    name = "original_api"

"""``manage.py check`` validates KOKO_PLAN without opening the store (sled would lock its directory)."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .store import load_plan


@register()
def check_koko_plan(app_configs, **kwargs):
    try:
        load_plan(settings.KOKO_PLAN)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="Set KOKO_PLAN to story1, story2, story3 or a .json/.toml plan file.", id="koko.E001")]
    return []

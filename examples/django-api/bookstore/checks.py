"""``manage.py check`` validates KOKO_PLAN without opening the store (sled would lock its directory)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .store import load_plan


@register()
def check_koko_plan(app_configs, **kwargs):
    try:
        load_plan(settings.KOKO_PLAN)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="Set KOKO_PLAN to story1, story2, story3 or a .json/.toml plan file.", id="koko.E001")]
    return []


@register(Tags.security, deploy=True)
def check_auth_on(app_configs, **kwargs):
    """``manage.py check --deploy``: an API served without authentication is a deploy-time warning."""
    if settings.AUTH_ENABLED:
        return []
    return [
        Warning(
            "KOKO_API_AUTH=none: anyone who reaches the server may change everything and backdate rentals.",
            hint="Unset KOKO_API_AUTH (token authentication) before the API is reachable by others.",
            id="koko.W001",
        )
    ]


@register()
def check_workers(app_configs, **kwargs):
    """Celery workers are separate processes: they cannot open a sled store the API server holds."""
    if settings.KOKO_API_WORKERS == "celery" and not settings.KOKO_ON_POSTGRES:
        return [
            Warning(
                "KOKO_API_WORKERS=celery with a sled or memory store: Celery's worker processes cannot open a store "
                "the API server holds, so export jobs and notices would never run.",
                hint="Unset KOKO_API_WORKERS (a thread of the server runs them on sled), or put koko on PostgreSQL.",
                id="koko.W002",
            )
        ]
    return []

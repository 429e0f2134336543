"""``GET /health/``: can this process serve? For load balancers and the container's HEALTHCHECK."""

from __future__ import annotations

import logging

import koko
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema_view
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from ..serializers import HealthOutput
from ..store import get_store
from .base import KokoView, doc, example

logger = logging.getLogger(__name__)


@extend_schema_view(
    get=doc(
        "Whether the store (and, with auth on, Django's database) answers: 200, else 503 naming what does not",
        {200: HealthOutput, 503: HealthOutput},
        examples=[example("healthy", {"status": "ok", "store": "ok", "database": "ok"})],
        tags=["health"],
    )
)
class Health(KokoView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        report = {"store": _store_answers(), "database": _database_answers() if settings.AUTH_ENABLED else "unused"}
        healthy = all(value != "unavailable" for value in report.values())
        report["status"] = "ok" if healthy else "unavailable"
        return Response(HealthOutput(report).data, status=200 if healthy else 503)


def _store_answers() -> str:
    try:
        get_store().rental(1)  # one read by id: found or not, the storage answered
    except koko.NotFound:
        pass
    except (koko.KokoError, OSError) as exc:
        logger.error("health: the store does not answer: %s", exc)
        return "unavailable"
    return "ok"


def _database_answers() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver's error: the database does not answer
        logger.error("health: the database does not answer: %s", exc)
        return "unavailable"
    return "ok"

"""An opt-in response cache for anonymous catalogue reads (``KOKO_API_CATALOGUE_CACHE_SECONDS``).

``GET /books/…`` without credentials (no ``Authorization`` header, no session cookie) with a 200 answer is kept in
Django's default cache — Redis when ``KOKO_API_REDIS_URL`` is set, so every app server shares it — for a few
seconds, keyed by the full URL (host, path and query). Nothing else is cached: answers with credentials may differ
by caller, and writes must reach koko. A book's ``rental_status`` can therefore be up to that many seconds old for
anonymous readers, as it can be on a replica within its lag bound; a rent or return never reads it. A cache that
does not answer is skipped: the request is served from koko. Measured in SCALING.md (step 4).
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

logger = logging.getLogger(__name__)

PREFIX = "/books/"


class CatalogueCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.seconds = settings.CATALOGUE_CACHE_SECONDS

    def cacheable(self, request) -> bool:
        return (
            request.method == "GET"
            and request.path.startswith(PREFIX)
            and "HTTP_AUTHORIZATION" not in request.META
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
        )

    def __call__(self, request):
        if not self.cacheable(request):
            return self.get_response(request)
        key = "koko:catalogue:" + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        try:
            hit = cache.get(key)
        except Exception as exc:  # the cache is down: serve from koko
            logger.warning("catalogue cache: %s", exc)
            hit = None
        if hit is not None:
            content_type, body = hit
            response = HttpResponse(body, content_type=content_type)
            response["X-Koko-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if response.status_code == 200 and not response.streaming:
            try:
                cache.set(key, (response["Content-Type"], response.content), self.seconds)
            except Exception as exc:
                logger.warning("catalogue cache: %s", exc)
        return response

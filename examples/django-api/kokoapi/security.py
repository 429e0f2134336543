"""Every answer forbids other sites to frame it: the docs pages (Swagger UI with a staff session can do anything) and
the login page must not be clickjacked.

``X-Frame-Options: DENY`` comes from Django's ``XFrameOptionsMiddleware`` (``X_FRAME_OPTIONS``); this middleware adds
``Content-Security-Policy: frame-ancestors 'none'``, its modern equivalent. The directive restricts framing only: a
page's scripts, styles and images (Swagger UI's and Redoc's inline set-up) are untouched, and a policy an answer
already carries keeps its directives and gains this one.
"""

from __future__ import annotations

HEADER = "Content-Security-Policy"
FRAME_ANCESTORS = "frame-ancestors 'none'"


class FrameAncestorsNoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = response.get(HEADER, "").strip().rstrip(";")
        if "frame-ancestors" not in policy:
            response[HEADER] = f"{policy}; {FRAME_ANCESTORS}" if policy else FRAME_ANCESTORS
        return response

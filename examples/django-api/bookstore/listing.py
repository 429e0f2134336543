"""The one place every list answer of the API goes through.

Lists are plain JSON arrays today, as in the original API. Keyset pagination (issue 15, item 3) plugs in here: one
function to change, whatever the endpoint.
"""

from __future__ import annotations

from typing import Iterable, Optional

from rest_framework.response import Response


def list_response(request, items: Iterable, serializer_class, context: Optional[dict] = None) -> Response:
    """The answer of a list endpoint: ``items`` (koko's records, in koko's order) through ``serializer_class``."""
    return Response(serializer_class(list(items), many=True, context=context or {}).data)

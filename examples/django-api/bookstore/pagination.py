"""Keyset pages in DRF's shape: the API's ``DEFAULT_PAGINATION_CLASS``, so every list view pages through it
(``self.paginate_queryset``) and drf-spectacular documents it.

A list answers ``{"next": url|null, "previous": url|null, "results": [...]}``. The query takes ``limit`` (1 to
1,000, default 50) and ``cursor``, an opaque token from a ``next``/``previous`` link: base64 of one letter and a
number —

- ``a<id>``: the page of records **after** id ``<id>`` (``next`` links);
- ``b<id>``: the page of records just **before** id ``<id>`` (``previous`` links; ``Keyset.read_before``);
- ``o<n>``: position ``<n>`` of a list that is small by nature and paged in Python (``bookstore.records.Records``).

A page of a ``Keyset`` costs one koko call of ``limit`` records (plus one of one record to know whether a next page
exists), whatever its position. A ``previous`` page costs at most ``records.READ_BEFORE_CALLS`` calls of at most
``MAX_PAGE`` records whatever its cursor: on a sparse search it may hold fewer than ``limit`` records (even none)
while its own ``previous`` link goes on below, and a ``b`` cursor past the end of the list (no record from its
window on) answers an empty page without links. ``KOKO_API_PAGINATION=off`` answers the original's plain JSON arrays:
``paginate_queryset`` answers None, DRF's sign that the view answers the whole list.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Optional, Tuple

from django.conf import settings
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .limits import MAX_ID, MAX_PAGE
from .records import Keyset

DEFAULT_LIMIT = 50
AFTER, BEFORE, OFFSET = "a", "b", "o"


def paginated() -> bool:
    return getattr(settings, "KOKO_API_PAGINATION", True)


def bad_cursor() -> exceptions.ValidationError:
    return exceptions.ValidationError({"cursor": ["Invalid cursor: use a next or previous link as it is."]})


def encode_cursor(kind: str, number: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}{number}".encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Tuple[str, int]:
    """``(kind, number)`` of a cursor; a 400 naming ``cursor`` for anything this module did not write."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        kind, number = text[:1], text[1:]
        if kind in (AFTER, BEFORE, OFFSET) and number.isdigit() and len(number) <= 20:
            value = int(number)
            if value < 2**64:
                return kind, value
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise bad_cursor()


LIMIT_DIGITS = re.compile(r"[0-9]{1,4}")  # ASCII digits only: "²".isdigit() is true, but int("²") fails


def page_limit(request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not LIMIT_DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise exceptions.ValidationError({"limit": [f"A whole number from 1 to {MAX_PAGE}."]})
    return int(raw)


def _page_of_keyset(keyset: Keyset, cursor: Optional[Tuple[str, int]], limit: int):
    """``(records, next_cursor, previous_cursor)`` of one page of a keyset list."""
    if cursor is not None and cursor[0] == OFFSET:
        raise bad_cursor()
    if cursor is not None and cursor[0] == BEFORE:
        before = cursor[1]
        found = keyset.read_before(before, limit + 1)
        if found.past_the_end:
            return [], None, None  # no record of the list at or after the cursor's window: an empty page, no links
        records = found.records[-limit:]
        if len(found.records) > limit:
            previous = encode_cursor(BEFORE, records[0].id)
        elif found.low > 0:  # the reads' budget ran out before the start: the records below come on the next page
            previous = encode_cursor(BEFORE, found.low + 1)
        else:
            previous = None
        following = encode_cursor(AFTER, records[-1].id if records else max(before - 1, 0))
        return records, following, previous
    after = cursor[1] if cursor is not None else None
    records = keyset.fetch(after or None, limit)
    more = len(records) == limit and bool(keyset.fetch(records[-1].id, 1))
    following = encode_cursor(AFTER, records[-1].id) if more else None
    previous = None
    if after:
        previous = encode_cursor(BEFORE, records[0].id if records else min(after + 1, MAX_ID))
    return records, following, previous


def _page_of_list(items: list, cursor: Optional[Tuple[str, int]], limit: int):
    if cursor is not None and cursor[0] != OFFSET:
        raise bad_cursor()
    start = min(cursor[1], len(items)) if cursor is not None else 0
    following = encode_cursor(OFFSET, start + limit) if start + limit < len(items) else None
    previous = encode_cursor(OFFSET, max(0, start - limit)) if start > 0 else None
    return items[start:start + limit], following, previous


def _link(request, cursor: Optional[str]) -> Optional[str]:
    if cursor is None:
        return None
    url = request.build_absolute_uri()
    if cursor == encode_cursor(OFFSET, 0):
        return remove_query_param(url, "cursor")
    return replace_query_param(url, "cursor", cursor)


class KeysetPagination(BasePagination):
    """Pages of a ``Keyset`` by id, or of a small ``Records`` list by position; the links keep the query's filters."""

    next_link: Optional[str] = None
    previous_link: Optional[str] = None

    def paginate_queryset(self, records, request, view=None) -> Optional[list]:
        if not paginated():
            return None
        if not isinstance(records, Keyset):
            records = records.read()  # koko answers a small list whole (an unknown id: its 404 first)
        limit = page_limit(request)
        token = request.query_params.get("cursor")
        cursor = decode_cursor(token) if token else None
        if isinstance(records, Keyset):
            page, following, previous = _page_of_keyset(records, cursor, limit)
        else:
            page, following, previous = _page_of_list(records, cursor, limit)
        self.next_link, self.previous_link = _link(request, following), _link(request, previous)
        return page

    def get_paginated_response(self, data) -> Response:
        return Response({"next": self.next_link, "previous": self.previous_link, "results": data})

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "example": "http://127.0.0.1:8000/books/?cursor=YTUw&limit=50"},
                "previous": {**link, "example": None},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return PARAMETERS


def _parameter(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "required": False, "in": "query", "description": description, "schema": schema}


PARAMETERS = [
    _parameter("cursor", {"type": "string"}, "The page: a `next` or `previous` link's cursor, as it is."),
    _parameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_LIMIT},
               f"Records per page, 1 to {MAX_PAGE}."),
]

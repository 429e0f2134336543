"""The one place every list answer of the API goes through: keyset pages in DRF's shape.

A list answers ``{"next": url|null, "previous": url|null, "results": [...]}``. The query takes ``limit`` (1 to
1,000, default 50) and ``cursor``, an opaque token from a ``next``/``previous`` link: base64 of one letter and a
number —

- ``a<id>``: the page of records **after** id ``<id>`` (``next`` links);
- ``b<id>``: the page of records just **before** id ``<id>`` (``previous`` links). koko reads forward only, so the
  page before is read forward from ``<id> - 1 - limit`` (ids are dense, so one call for the unfiltered lists),
  widening the window fourfold while it holds fewer than ``limit + 1`` records (a sparse search or filter);
- ``o<n>``: position ``<n>`` of a list that is small by nature and paged in Python (a book's copies and holds
  queue, a customer's holds and notices, plan versions, revenue lines, aged balances).

Lists koko pages by keyset (books, customers, rentals and their searches and filters) pass a ``Keyset``: a page
costs one koko call of ``limit`` records (plus one of one record to know whether a next page exists), whatever
its position. ``KOKO_API_PAGINATION=off`` answers the original's plain JSON arrays (every record, read in pages of
1,000). The answer of a write that happens to be a list (``POST /holds/expire/``) is not a page: ``page=False``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Tuple, Union

from django.conf import settings
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000  # koko's largest page
AFTER, BEFORE, OFFSET = "a", "b", "o"


@dataclass(frozen=True)
class Keyset:
    """A list koko pages itself: ``fetch(after, limit)`` gives at most ``limit`` records with ids above ``after``
    (None: from the start), in id order."""

    fetch: Callable[[Optional[int], int], list]


Items = Union[Keyset, Iterable]


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


def page_limit(request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise exceptions.ValidationError({"limit": [f"A whole number from 1 to {MAX_LIMIT}."]})
    return int(raw)


def read_all(keyset: Keyset) -> list:
    """Every record of a keyset list, in pages of ``MAX_LIMIT``."""
    records: list = []
    after = None
    while True:
        page = keyset.fetch(after, MAX_LIMIT)
        records += page
        if len(page) < MAX_LIMIT:
            return records
        after = page[-1].id


def read_before(keyset: Keyset, before: int, want: int) -> list:
    """The last ``want`` records with ids below ``before`` (fewer at the start), reading forward in widening
    windows: one call when ids are dense."""
    window = want
    while True:
        low = max(0, before - 1 - window)
        found: list = []
        after: Optional[int] = low or None
        while True:
            chunk = keyset.fetch(after, min(MAX_LIMIT, max(window, want)))
            below = [record for record in chunk if record.id < before]
            found = (found + below)[-want:]
            if len(below) < len(chunk) or len(chunk) < min(MAX_LIMIT, max(window, want)):
                break
            after = chunk[-1].id
        if len(found) >= want or low == 0:
            return found
        window *= 4


class KeysetPagination(BasePagination):
    """The page shape and its query parameters, for drf-spectacular (``bookstore.schema``) and the answers."""

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
    _parameter("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
               f"Records per page, 1 to {MAX_LIMIT}."),
]


def _page_of_keyset(keyset: Keyset, cursor: Optional[Tuple[str, int]], limit: int):
    """``(records, next_cursor, previous_cursor)`` of one page of a keyset list."""
    if cursor is not None and cursor[0] == OFFSET:
        raise bad_cursor()
    if cursor is not None and cursor[0] == BEFORE:
        before = read_before(keyset, cursor[1], limit + 1)
        records = before[-limit:]
        previous = encode_cursor(BEFORE, records[0].id) if len(before) > limit else None
        following = encode_cursor(AFTER, records[-1].id) if records else encode_cursor(AFTER, 0)
        return records, following, previous
    after = cursor[1] if cursor is not None else None
    records = keyset.fetch(after or None, limit)
    more = len(records) == limit and bool(keyset.fetch(records[-1].id, 1))
    following = encode_cursor(AFTER, records[-1].id) if more else None
    previous = None
    if after:
        previous = encode_cursor(BEFORE, records[0].id if records else after + 1)
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


def list_response(
    request,
    items: Items,
    serializer_class,
    context: Union[None, dict, Callable[[list], dict]] = None,
    *,
    rows: Optional[Callable[[list], list]] = None,
    page: bool = True,
) -> Response:
    """The answer of a list endpoint: ``items`` (koko's records in koko's order, or a ``Keyset`` koko pages)
    through ``serializer_class``. ``rows`` turns a page's records into what the serializer reads (e.g. rentals with
    their books' titles), ``context`` is the serializer's context or a function of the page's records."""

    def answer(records: list):
        shown = rows(records) if rows is not None else records
        ctx = context(records) if callable(context) else (context or {})
        return serializer_class(shown, many=True, context=ctx).data

    if not page or not paginated():
        records = read_all(items) if isinstance(items, Keyset) else list(items)
        return Response(answer(records))
    limit = page_limit(request)
    token = request.query_params.get("cursor")
    cursor = decode_cursor(token) if token else None
    if isinstance(items, Keyset):
        records, following, previous = _page_of_keyset(items, cursor, limit)
    else:
        records, following, previous = _page_of_list(list(items), cursor, limit)
    return Response({"next": _link(request, following), "previous": _link(request, previous),
                     "results": answer(records)})

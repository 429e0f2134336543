"""The event feed (staff): ``GET /events/?after=&types=&limit=``, koko's events in position order, a keyset page at
a time. Each event was written by koko in the same atomic step as its change; positions are gap-free in commit
order, so a reader that keeps the last position it handled and asks for the events after it never misses one."""

from __future__ import annotations

from typing import List, Optional

from drf_spectacular.utils import extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .. import permissions as can
from ..limits import MAX_PAGE
from ..serializers import AwareDateTimeField, Serializer, WholeNumberField
from ..store import get_store
from .base import KokoView, doc, example

DEFAULT_LIMIT = 100
MAX_POSITION = 2**63 - 1
# Every type, comma-separated, is some 310 characters; 320, percent-encoded as 4-byte UTF-8 at worst, still fits
# gunicorn's request line (4094 bytes), so a long one is this API's 400, not the server's 414.
MAX_TYPES_CHARS = 320

EVENT = {
    "id": "evt_00000000000000000007", "type": "rental.opened", "position": 7, "at": "2024-06-03T10:00:00Z",
    "subjects": {"rental": 1, "copy": 1, "book": 1, "customer": 1},
    "data": {"v": 1, "due_at": "2024-06-10T10:00:00Z", "plan_version": 1},
}


@extend_schema_field({"type": "object", "additionalProperties": True,
                      "description": "The payload: `v` its schema version; money as decimal strings."})
class PayloadField(serializers.DictField):
    pass


class EventOutput(Serializer):
    """One event of koko's feed: what changed, when, and the records it concerns."""

    id = serializers.CharField(help_text="Stable: `evt_` and the position in 20 digits. Receivers deduplicate on it.")
    type = serializers.CharField(help_text="What happened: `rental.opened`, `ledger.posted`, `hold.ready`, …")
    position = serializers.IntegerField(help_text="Its place in the feed: from 1, gap-free in commit order.")
    at = AwareDateTimeField()
    subjects = serializers.DictField(child=serializers.IntegerField(),
                                     help_text="The ids it concerns by kind of record.")
    data = PayloadField()


class EventPage(Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page (`after` the page's last position), "
                                "or null at the feed's end: poll again with `after` your last position.")
    results = EventOutput(many=True)


class EventsQuery(Serializer):
    after = WholeNumberField(required=False, min_value=0, max_value=MAX_POSITION,
                             help_text="The last position you handled: the events after it (default: from the start).")
    types = serializers.CharField(required=False, max_length=MAX_TYPES_CHARS,
                                  help_text="Comma-separated event types, e.g. `rental.opened,rental.closed`.")
    limit = WholeNumberField(required=False, min_value=1, max_value=MAX_PAGE, default=DEFAULT_LIMIT,
                             help_text=f"Events per page, 1 to {MAX_PAGE}.")


def event_row(event) -> dict:
    return {"id": event.id, "type": event.type, "position": event.position, "at": event.at,
            "subjects": event.subjects, "data": event.data}


def parse_types(raw: Optional[str]) -> Optional[List[str]]:
    if raw is None:
        return None
    types = [part.strip() for part in raw.split(",")]
    if len(raw) > MAX_TYPES_CHARS:
        raise exceptions.ValidationError({"types": [f"At most {MAX_TYPES_CHARS} characters."]})
    if not all(types):
        raise exceptions.ValidationError({"types": ["Comma-separated event types, none empty."]})
    return types


@extend_schema_view(
    get=doc("koko's events after position `after`, in position order (staff)", EventPage, query=EventsQuery,
            examples=[example("a page", {"next": "http://127.0.0.1:8000/events/?after=7&limit=1",
                                         "results": [EVENT]})],
            tags=["events"])
)
class EventList(KokoView):
    """Keyset pages of koko's feed: `after` is the last position you handled (each page's `next` carries its last
    one), `types` keeps only those types (an unknown one is a 400 naming `types`), `limit` is 1 to 1000 (default
    100). An `after` past the feed's end is a 400 naming `after`; `after` at its end answers an empty page."""

    permission_classes = can.STAFF
    pagination_class = None  # its own keyset: positions, not ids
    query_class = EventsQuery

    def get(self, request):
        query = self.valid_query(request)
        # the raw parameter: DRF reads an empty one in a query string as left out
        types = parse_types(request.query_params.get("types") if "types" in request.query_params else None)
        after, limit = query.get("after"), query["limit"]
        store = get_store()
        # koko refuses an `after` past the feed's end (InvalidInput on after: a 400 naming it)
        events = store.events(after=after, limit=limit, types=types)
        following = None
        if len(events) == limit and store.events(after=events[-1].position, limit=1, types=types):
            following = replace_query_param(request.build_absolute_uri(), "after", events[-1].position)
        return Response(EventPage({"next": following, "results": [event_row(e) for e in events]}).data)

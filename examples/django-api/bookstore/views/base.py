"""What every endpoint shares: the base view (input validation, lists, the attributes other modules read), the
Idempotency-Key header, whose record an id is, and the schema helpers.

Each endpoint validates its input, makes ONE koko call that does the work, and answers through a serializer.
Every write passes the request's ``Idempotency-Key`` header to koko (``idempotency_key(request)``, in the caller's
namespace): koko stores the key with the write's effect, so a retry with the same key and body answers the first
outcome and changes nothing, and the same key with another request is a 409. koko's exceptions become HTTP answers
in ``bookstore.errors``; who may call what is ``bookstore.permissions``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from types import SimpleNamespace
from typing import Mapping, Optional, Sequence, Tuple

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.viewsets import ViewSetMixin

from ..auth import Role, caller
from ..limits import MAX_IDEMPOTENCY_KEY_CHARS
from ..pagination import KeysetPagination
from ..records import Records
from ..store import get_store

IDEMPOTENCY_HEADER = "Idempotency-Key"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Optional, 1 to 255 characters, scoped to the caller (a customer's keys are theirs, staff's the store's): a "
        "retry with the same key and request answers the first outcome and changes nothing; the same key with another "
        "request is a 409."
    ),
)


def idempotency_key(request) -> Optional[str]:
    """The request's ``Idempotency-Key`` header in its caller's namespace, for koko's ``idempotency_key=`` (None
    without one): ``staff:<digest>`` for staff (one store, one staff), ``customer:<id>:<digest>`` for a customer, the
    digest the key's SHA-256. One caller's key therefore never answers or blocks another's request, and a retry by the
    same caller still answers the first outcome. koko sees only the scoped digest, so its rule for a key (1 to 255
    characters, no control characters: ``limits.MAX_IDEMPOTENCY_KEY_CHARS``) is stated here, on the header as sent: a
    bad key is a 400 naming the header, before koko is called."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY_CHARS or any(unicodedata.category(c) == "Cc" for c in key):
        raise ValidationError({IDEMPOTENCY_HEADER: [
            f"must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} characters without control characters"]})
    who = caller(request)
    scope = "staff" if who.role is Role.STAFF else f"{who.role.value}:{who.customer_id}"
    return f"{scope}:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


def example(name: str, value, *, request: bool = False, status: Optional[int] = None) -> OpenApiExample:
    """An example of a response (or of a request body with ``request=True``) for the docs."""
    if request:
        return OpenApiExample(name, value=value, request_only=True)
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status or 200)])


def doc(summary: str, responses, *, request=None, query=None, examples=(), write: bool = False, **extra):
    """``extend_schema`` for one operation: its summary, request body, query serializer, answer(s) and examples;
    a write also documents the Idempotency-Key header. The error answers are added by bookstore.schema."""
    parameters = list(extra.pop("parameters", []))
    if query is not None:
        parameters.append(query)
    if write:
        parameters.append(IDEMPOTENCY_PARAMETER)
    return extend_schema(
        summary=summary,
        request=request,
        responses=responses,
        parameters=parameters or None,
        examples=list(examples) or None,
        **extra,
    )


def collection(tag: str, listed: str, created: str, output, input_class, item, new_item, *,
               actions=("get", "post"), description=None) -> dict:
    """The docs of a list endpoint that also creates, for ``extend_schema_view``: GET lists ``output``s (a page:
    ``bookstore.pagination``; its filters are the view's filter backends), POST takes ``input_class`` and answers
    201 with the new ``output``. ``actions`` name the view's methods (a ViewSet's: ``("list", "create")``);
    ``description`` describes both."""
    listing, creating = actions
    return {
        listing: doc(listed, output(many=True), examples=[example(tag, item)], tags=[tag], description=description),
        creating: doc(
            created,
            {201: output},
            request=input_class,
            write=True,
            examples=[example("request", new_item, request=True), example("created", item, status=201)],
            tags=[tag],
            description=description,
        ),
    }


class QueryFormatIgnored(DefaultContentNegotiation):
    """Answers are JSON whatever ``?format=`` says: here it is not DRF's renderer switch (an unknown one would be a
    404 no schema documents)."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class ViewMetadata(SimpleMetadata):
    """OPTIONS answers the view's name, description, renderers and parsers, without DRF's ``actions`` (a body's
    fields, read from a model instance koko's views do not have): the schema documents every body."""

    def determine_actions(self, request, view):
        return {}


class KokoView(GenericAPIView):
    """An endpoint: DRF's generic view over koko. Every attribute another module reads is declared here.

    A list view names its koko list (``records``), its ``serializer_class`` and its ``filter_backends``; its GET is
    ``list``: the list through the filter backends, then a page of it (``pagination_class``)."""

    content_negotiation_class = QueryFormatIgnored
    metadata_class = ViewMetadata
    pagination_class = KeysetPagination  # every list answers keyset pages (KOKO_API_PAGINATION=off: plain arrays)
    filter_backends: Sequence = ()  # a list's query filters and search (bookstore.filters)

    # Input (this module)
    input_class = None  # validates the request body
    customer_input_class = None  # validates a customer's body, when it differs from staff's
    query_class = None  # validates the query string of an operation that answers one record (a list: its filters)
    # Who may call it (bookstore.permissions)
    time_fields: Tuple[str, ...] = ()  # the body's times customers may not give (AtServerTime)
    # koko's errors as HTTP answers (bookstore.errors)
    at_field = "non_field_errors"  # the API's name of koko's time argument ("at") of this view's call
    api_fields: Mapping[str, str] = {}  # koko's argument names → this view's own field names (over API_FIELDS)
    blocked_detail = "Customer cannot rent"  # what a refusal by a block or a plan limit refused (a 403's detail)
    duplicate_messages: Mapping[str, str] = {}  # koko's field of a Duplicate → the 400's message
    # The error answers its docs list (bookstore.schema)
    finds_records = False  # 404: it looks up a record its input names (not only an id in its path)
    may_conflict = False  # 409 on a read (a quote of a closed rental)
    uses_store = True  # 503: it calls koko, whose storage may be unavailable

    def valid(self, request, partial: bool = False) -> dict:
        input_class = self.input_class
        if self.customer_input_class is not None and caller(request).role is Role.CUSTOMER:
            input_class = self.customer_input_class
        serializer = input_class(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def valid_query(self, request) -> dict:
        serializer = self.query_class(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def owner_id(self, request) -> Optional[int]:
        """The koko customer whose record this request addresses (see ``permissions.IsOwner``)."""
        raise NotImplementedError

    def get_queryset(self) -> Optional[Records]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular inspecting the view: no store to open
            return None
        return self.records(get_store())

    def records(self, store) -> Records:
        """The koko list this view answers, not read yet (``bookstore.records``)."""
        raise NotImplementedError

    def rows(self, records: list) -> list:
        """What ``serializer_class`` reads for koko's records (rentals: with their books' titles)."""
        return records

    def list(self, request, *args, **kwargs) -> Response:
        """A list's GET: ``records`` through the filter backends, then a page of it, or all of it with
        ``KOKO_API_PAGINATION=off`` (``paginate_queryset`` answers None)."""
        records = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(records)
        if page is None:
            return Response(self.get_serializer(self.rows(records.read()), many=True).data)
        return self.get_paginated_response(self.get_serializer(self.rows(page), many=True).data)


class KokoViewSet(ViewSetMixin, KokoView):
    """A collection and its records (``bookstore.urls``' router): ``list``/``create`` at ``/things/``, ``retrieve``,
    ``update`` and ``partial_update`` at ``/things/<id>/``. Its operations' descriptions are in their docs."""

    lookup_value_converter = "id"  # bookstore.urls.IdConverter


class Updatable:
    """PUT (``update``) replaces a record's fields, PATCH (``partial_update``) changes some, as DRF's
    ``UpdateModelMixin`` does."""

    def partial_update(self, request, pk: int):
        return self.update(request, pk, partial=True)


class CustomerScoped(KokoView):
    """``/customers/<pk>/…``: the customer's own records."""

    def owner_id(self, request) -> Optional[int]:
        return self.kwargs["pk"]


class RentalScoped(KokoView):
    """``/rentals/<pk>/…``: the rental's customer's."""

    def owner_id(self, request) -> Optional[int]:
        return get_store().rental(self.kwargs["pk"]).customer_id


class HoldScoped(KokoView):
    """``/holds/<pk>/…``: the hold's customer's."""

    def owner_id(self, request) -> Optional[int]:
        return get_store().hold(self.kwargs["pk"]).customer_id

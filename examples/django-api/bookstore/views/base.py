"""What every endpoint shares: input validation, the Idempotency-Key header, whose record an id is, and the
schema helper.

Each endpoint validates its input, makes ONE koko call that does the work, and answers through a serializer.
Every write passes the request's ``Idempotency-Key`` header to koko (``idempotency_key(request)``): koko stores
the key with the write's effect, so a retry with the same key and body answers the first outcome and changes
nothing, and the same key with another request is a 409. koko's exceptions become HTTP answers in
``bookstore.errors``; who may call what is ``bookstore.permissions``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Optional

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.views import APIView

from ..auth import Role, caller
from ..store import get_store

IDEMPOTENCY_HEADER = "Idempotency-Key"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Optional, 1 to 255 characters: a retry with the same key and request answers the first outcome and changes "
        "nothing; the same key with another request is a 409."
    ),
)


def idempotency_key(request) -> Optional[str]:
    """The request's ``Idempotency-Key`` header, for koko's ``idempotency_key=`` (None without one). Its length and
    characters are koko's to check: a bad key is a 400 naming the header."""
    return request.headers.get(IDEMPOTENCY_HEADER)


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


def collection(tag: str, listed: str, created: str, output, input_class, item, new_item, query=None):
    """The docs of a list endpoint that also creates: GET lists ``output``s (a page: ``bookstore.listing``; its
    filters are the ``query`` serializer), POST takes ``input_class`` and answers 201 with the new ``output``."""
    return extend_schema_view(
        get=doc(listed, output(many=True), query=query, examples=[example(tag, item)], tags=[tag]),
        post=doc(
            created,
            {201: output},
            request=input_class,
            write=True,
            examples=[example("request", new_item, request=True), example("created", item, status=201)],
            tags=[tag],
        ),
    )


class QueryFormatIgnored(DefaultContentNegotiation):
    """Answers are JSON whatever ``?format=`` says: here it is not DRF's renderer switch (an unknown one would be a
    404 no schema documents)."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class KokoView(APIView):
    """An endpoint. ``input_class`` validates the body (``customer_input_class`` a customer's, when it differs),
    ``query_class`` the query string; ``time_fields`` are the body's times customers may not give."""

    content_negotiation_class = QueryFormatIgnored

    input_class = None
    customer_input_class = None
    query_class = None
    time_fields: tuple = ()

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


class Updatable:
    """PUT replaces a record's fields, PATCH changes some; ``update`` makes the koko call and answers."""

    def put(self, request, pk: int):
        return self.update(request, pk, self.valid(request, partial=False))

    def patch(self, request, pk: int):
        return self.update(request, pk, self.valid(request, partial=True))

    def update(self, request, pk: int, data: dict):
        raise NotImplementedError


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

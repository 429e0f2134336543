"""The OpenAPI schema (drf-spectacular): every operation's errors, who may call it, and the shapes serializers
cannot state themselves (a plan document, field errors).

``KokoAutoSchema`` adds to each operation the error answers it can give — derived from the view, not listed by
hand: 400 (a write, or an operation with query parameters: a page's cursor and limit, filters), 414 (a GET with query
parameters: a request line too long for gunicorn), 401/403 (the view has authenticators), 404 (an id in the path, or
a view that ``finds_records`` named in its input), 409 (a write: the ``Idempotency-Key`` reused, a closed rental; or
a view that ``may_conflict``), 429 (the view is throttled) and 503 (the store is unavailable) — and marks an operation anonymous callers may use by asking the view's own permission
classes about an anonymous request. A list a GET answers is a page of the view's ``pagination_class``
(``bookstore.pagination.KeysetPagination``: the page's shape, ``cursor`` and ``limit``) unless
``KOKO_API_PAGINATION=off``; its filters are those of its filter backends (``QueryFilterExtension``).
"""

from __future__ import annotations

import inspect

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from drf_spectacular.extensions import OpenApiFilterExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_parameter_type
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.viewsets import ViewSetMixin

from .pagination import paginated
from .serializers import ErrorOutput, FieldErrorsOutput

WRITES = ("POST", "PUT", "PATCH", "DELETE")

PLAN_SCHEMA = {
    "type": "object",
    "description": (
        "A koko price plan: currency, rounding, day-count policy and one tariff per category (see "
        "docs/price-plans.md). Money is a decimal string; koko validates the whole plan and names the field at fault."
    ),
    "properties": {
        "name": {"type": "string", "nullable": True},
        "currency": {"type": "string", "example": "USD"},
        "rounding": {"type": "string", "example": "half_even"},
        "day_count": {"type": "object", "additionalProperties": True},
        "categories": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": True}},
        "default": {"type": "object", "nullable": True, "additionalProperties": True},
    },
    "required": ["currency", "categories"],
    "additionalProperties": True,
    "example": {
        "name": "spring 2025",
        "currency": "USD",
        "categories": {
            "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}, {"from_day": 3, "rate": "1.50"}], "minimum": "2.00"},
            "fiction": {"tiers": [{"from_day": 1, "rate": "3.00"}]},
            "novel": {"tiers": [{"from_day": 1, "rate": "1.50"}], "minimum": "4.50"},
        },
    },
}

FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Messages per field: a list of messages, or one message (`detail`).",
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
    },
    "example": {"date_returned": ["This field is required."]},
}


class PlanDocumentExtension(OpenApiSerializerExtension):
    target_class = "bookstore.serializers.PlanDocument"

    def get_name(self, auto_schema, direction):
        return "PricePlan"

    def map_serializer(self, auto_schema, direction):
        return PLAN_SCHEMA


class FieldErrorsExtension(OpenApiSerializerExtension):
    target_class = "bookstore.serializers.FieldErrorsOutput"

    def get_name(self, auto_schema, direction):
        return "FieldErrors"

    def map_serializer(self, auto_schema, direction):
        return FIELD_ERRORS_SCHEMA


class QueryFilterExtension(OpenApiFilterExtension):
    """A ``bookstore.filters.QueryFilter``'s parameters: its ``query_class`` serializer's fields, one query parameter
    each, as drf-spectacular documents a serializer given as ``extend_schema(parameters=[…])``."""

    target_class = "bookstore.filters.QueryFilter"
    match_subclasses = True

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        query = self.target.query_class()
        mapped = auto_schema._map_serializer(query, "request")
        return [
            build_parameter_type(
                name=name,
                schema=schema,
                description=schema.pop("description", None),
                location=OpenApiParameter.QUERY,
                allow_blank=getattr(query.fields.get(name), "allow_blank", True),
                required=name in mapped.get("required", []),
            )
            for name, schema in mapped["properties"].items()
        ]


ERRORS = {
    "400": OpenApiResponse(FieldErrorsOutput, "Invalid input: each field at fault with its messages."),
    "401": OpenApiResponse(ErrorOutput, "No valid credentials (send `Authorization: Token <key>`)."),
    "403": OpenApiResponse(
        ErrorOutput, "Not allowed: the caller's role, an inactive or blocked customer (with the `rule`)."
    ),
    "404": OpenApiResponse(ErrorOutput, "No such record, or another customer's."),
    "409": OpenApiResponse(FieldErrorsOutput, "A conflict: the Idempotency-Key reused, or the rental already closed."),
    "429": OpenApiResponse(ErrorOutput, "Too many requests: retry after the `Retry-After` seconds."),
    # gunicorn answers it (an HTML page, no JSON) before the API sees the request.
    "414": OpenApiResponse(description="The URL is too long: a request line over 4094 bytes (gunicorn's limit)."),
    "503": OpenApiResponse(ErrorOutput, "The book store's storage is unavailable."),
}


class KokoAutoSchema(AutoSchema):
    def _error_codes(self) -> list:
        view, method = self.view, self.method
        codes = []
        queried = view.query_class is not None or self._get_filter_parameters() or self._get_pagination_parameters()
        if method in WRITES or queried:
            codes.append("400")
        if method == "GET" and queried:
            codes.append("414")
        if view.get_authenticators():
            codes += ["401", "403"]
        if "{" in self.path or view.finds_records:
            codes.append("404")
        if method in WRITES or view.may_conflict:
            codes.append("409")
        if view.get_throttles():
            codes.append("429")
        if view.uses_store:
            codes.append("503")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ERRORS[code], code, direction=direction)
        return responses

    def _get_paginator(self):
        """The view's ``pagination_class`` pages the lists GETs answer (a write's list, e.g. ``POST /holds/expire/``,
        is not a page), unless ``KOKO_API_PAGINATION=off``."""
        if self.method != "GET" or not paginated():
            return None
        return super()._get_paginator()

    def get_description(self):
        """The view's own docstring, not one it inherits (a base class's describes the code, not the endpoint). A
        ViewSet's describes its code too: its operations' descriptions are in their ``extend_schema``."""
        if isinstance(self.view, ViewSetMixin):
            return ""
        own = self.view.__class__.__dict__.get("__doc__")
        return inspect.cleandoc(own) if own else ""

    def get_auth(self):
        auths = super().get_auth()
        if {} not in auths and self._anonymous_allowed():
            auths.append({})
        return auths

    def _anonymous_allowed(self) -> bool:
        """Whether the view's permission classes let an anonymous caller use this operation."""
        if not settings.AUTH_ENABLED:
            return True
        django_request = RequestFactory().generic(self.method, self.path)
        django_request.user = AnonymousUser()
        request = Request(django_request)
        request.user = AnonymousUser()
        try:
            return all(p.has_permission(request, self.view) for p in self.view.get_permissions())
        except Exception:  # a permission that wants a real record: not for anonymous callers
            return False

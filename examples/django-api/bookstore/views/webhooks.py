"""Webhooks (staff): koko's events POSTed to a receiver's URL, signed with a secret shown once
(``bookstore.webhooks``; the relay that delivers them is ``bookstore.webhooks.relay``).

``POST /webhooks/`` registers one (its koko checkpoint starts at the feed's end: it receives the events written from
then on); ``GET``/``DELETE /webhooks/<id>/``; ``pause``, ``resume``, ``retry`` (a failed webhook's dead letter
delivered again); ``rotate-secret``; ``deliveries`` (every attempt, newest first). The secret is in the answers to
``POST /webhooks/`` and ``rotate-secret`` only; ``GET /webhooks/<id>/secret/`` says so (410 naming ``secret``).
"""

from __future__ import annotations

import secrets

import koko
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from .. import permissions as can
from ..models import Delivery, Webhook
from ..serializers import AwareDateTimeField, FieldErrorsOutput, Serializer
from ..store import get_store
from ..webhooks import feed, targets
from ..webhooks.pagination import ModelPagination, NewestFirst
from .base import KokoView, doc, example

MAX_TYPES = 50
MAX_TYPE_CHARS = 64
SECRET_PREFIX = "whsec_"

WEBHOOK = {"id": 1, "url": "https://hooks.example.com/koko", "events": ["rental.opened", "rental.closed"],
           "state": "active", "created_at": "2024-06-03T10:00:00Z", "failure": None, "failing_event": None,
           "attempts": 0, "next_attempt_at": None}
CREATED = {**WEBHOOK, "secret": "whsec_n0tAR3alS3cretButTheSh4peOfOne_xxxxxxxx"}
DELIVERY = {"id": 12, "event_id": "evt_00000000000000000007", "position": 7, "type": "rental.opened", "attempt": 1,
            "attempted_at": "2024-06-03T10:00:01Z", "status_code": 200, "response": "ok", "error": None,
            "next_attempt_at": None, "state": "delivered"}


@extend_schema_field({"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": MAX_TYPE_CHARS},
                      "maxItems": MAX_TYPES})
class EventTypesField(serializers.Field):
    """A list of event type names, checked here for its shape only (koko knows the types); its error is one flat
    message, as every field's (a ListField would answer a message per index)."""

    default_error_messages = {"invalid": f"A list of at most {MAX_TYPES} event types, strings such as "
                                         f"\"rental.opened\"."}

    def to_internal_value(self, data):
        if not isinstance(data, list) or len(data) > MAX_TYPES or not all(
                isinstance(item, str) and 0 < len(item) <= MAX_TYPE_CHARS for item in data):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return list(value)


class WebhookInput(Serializer):
    url = serializers.URLField(max_length=2000, help_text="http(s), not this API itself.")
    events = EventTypesField(
        required=False,
        help_text="The event types it receives (`GET /events/` shows them); left out or empty: every type.")


class WebhookOutput(Serializer):
    """A webhook: ``active`` (delivering), ``paused`` or ``failed`` (its dead letter in ``failure``, until a
    retry). ``failing_event``/``attempts``/``next_attempt_at``: the event being retried and when. Never its secret."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.CharField(), help_text="Empty: every type.")
    state = serializers.ChoiceField(choices=[s for s, _ in Webhook.STATES])
    created_at = AwareDateTimeField()
    failure = serializers.CharField(allow_null=True, help_text="Why it failed: the event and the last error.")
    failing_event = serializers.IntegerField(allow_null=True, help_text="The position of the event being retried.")
    attempts = serializers.IntegerField(help_text="Failed attempts at that event so far.")
    next_attempt_at = AwareDateTimeField(allow_null=True, help_text="No delivery before then (the backoff).")

    def to_representation(self, webhook: Webhook) -> dict:
        return super().to_representation(self.row(webhook))

    def row(self, webhook: Webhook) -> dict:
        return {
            "id": webhook.pk, "url": webhook.url, "events": list(webhook.events or []), "state": webhook.state,
            "created_at": webhook.created_at, "failure": webhook.failure or None,
            "failing_event": webhook.failing_position, "attempts": webhook.attempts,
            "next_attempt_at": webhook.next_attempt_at,
        }


class WebhookCreated(WebhookOutput):
    """The new webhook with its ``secret``: keep it, it is never shown again (rotate it to get another)."""

    secret = serializers.CharField(help_text="Signs every delivery (Koko-Signature). Shown only in this answer.")

    def row(self, webhook: Webhook) -> dict:
        return {**super().row(webhook), "secret": webhook.secret}


class SecretOutput(Serializer):
    id = serializers.IntegerField()
    secret = serializers.CharField(help_text="The new secret, shown only in this answer; the old one stops now.")


class DeliveryOutput(Serializer):
    """One attempt at one event: ``delivered`` (a 2xx), ``pending`` (failed; tried again at ``next_attempt_at``)
    or ``failed`` (the attempt that ended the retry window: the dead letter)."""

    id = serializers.IntegerField()
    event_id = serializers.CharField()
    position = serializers.IntegerField()
    type = serializers.CharField()
    attempt = serializers.IntegerField(help_text="1 for the first attempt at this event, then 2, 3, …")
    attempted_at = AwareDateTimeField()
    status_code = serializers.IntegerField(allow_null=True, help_text="The receiver's status, if it answered.")
    response = serializers.CharField(allow_blank=True, help_text="The answer's first 500 characters.")
    error = serializers.CharField(allow_null=True, help_text="Why it failed: a status, a timeout, a refusal.")
    next_attempt_at = AwareDateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=[s for s, _ in Delivery.STATES])

    def to_representation(self, delivery: Delivery) -> dict:
        return super().to_representation({
            "id": delivery.pk, "event_id": delivery.event_id, "position": delivery.position, "type": delivery.type,
            "attempt": delivery.attempt, "attempted_at": delivery.attempted_at, "status_code": delivery.status_code,
            "response": delivery.response, "error": delivery.error or None,
            "next_attempt_at": delivery.next_attempt_at, "state": delivery.state,
        })


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class SecretShownOnce(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_code = "secret_shown_once"

    def __init__(self, pk: int) -> None:
        super().__init__({"secret": [
            f"A webhook's secret is shown once, when it is created; rotate it for a new one: "
            f"POST /webhooks/{pk}/rotate-secret/."]})


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def webhook_or_404(pk: int) -> Webhook:
    try:
        return Webhook.objects.get(pk=pk)
    except Webhook.DoesNotExist:
        raise exceptions.NotFound(f"No webhook {pk}.") from None


class WebhookView(KokoView):
    permission_classes = can.STAFF
    serializer_class = WebhookOutput

    def get_queryset(self):
        return Webhook.objects.all()


@extend_schema_view(
    get=doc("The webhooks, oldest first (staff; never their secrets)", WebhookOutput(many=True),
            examples=[example("webhooks", WEBHOOK)], tags=["webhooks"]),
    post=doc("Register a webhook: the answer holds its secret, shown only this once (staff)", {201: WebhookCreated},
             request=WebhookInput, tags=["webhooks"],
             examples=[example("request", {"url": "https://hooks.example.com/koko",
                                           "events": ["rental.opened", "rental.closed"]}, request=True),
                       example("created", CREATED, status=201)]),
)
class WebhookList(WebhookView):
    """A webhook receives the events written after it is registered, of its `events` types (all of them when
    left out or empty), POSTed one at a time in position order, each signed with its secret (`Koko-Signature`). An
    unknown type is a 400 naming `events`; a URL that is not http(s), or is this API itself, a 400 naming `url`."""

    pagination_class = ModelPagination
    input_class = WebhookInput

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset().order_by("id"))
        if page is None:
            return Response(WebhookOutput(self.get_queryset().order_by("id"), many=True).data)
        return self.get_paginated_response(WebhookOutput(page, many=True).data)

    def post(self, request):
        data = self.valid(request)
        refusal = targets.refusal(data["url"], request)
        if refusal:
            raise exceptions.ValidationError({"url": [refusal]})
        types = list(dict.fromkeys(data.get("events") or []))
        store = get_store()
        if types:
            try:
                store.events(limit=1, types=types)  # koko knows the types: an unknown one is InvalidInput
            except koko.InvalidInput as exc:
                raise exceptions.ValidationError({"events": [exc.reason or str(exc)]}) from None
        with transaction.atomic():
            webhook = Webhook.objects.create(url=data["url"], events=types, secret=new_secret(),
                                             created_at=timezone.now())
            feed.register(store, webhook.pk)  # koko refuses: the row is rolled back
        return Response(WebhookCreated(webhook).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=doc("A webhook (staff; never its secret)", WebhookOutput, examples=[example("active", WEBHOOK)],
            tags=["webhooks"]),
    delete=doc("Delete a webhook and its deliveries' log (staff)", {204: None}, tags=["webhooks"]),
)
class WebhookDetail(WebhookView):
    def get(self, request, pk: int):
        return Response(WebhookOutput(webhook_or_404(pk)).data)

    def delete(self, request, pk: int):
        webhook = webhook_or_404(pk)
        feed.unregister(get_store(), webhook.pk)
        webhook.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookAction(WebhookView):
    def post(self, request, pk: int):
        with transaction.atomic():
            webhook = Webhook.objects.select_for_update().filter(pk=pk).first()
            if webhook is None:
                raise exceptions.NotFound(f"No webhook {pk}.")
            self.act(webhook)
            webhook.save()
        return Response(WebhookOutput(webhook).data)

    def act(self, webhook: Webhook) -> None:
        raise NotImplementedError


def _action_doc(summary: str, example_value: dict):
    return extend_schema_view(post=doc(summary, WebhookOutput, request=None,
                                       examples=[example("after", example_value)], tags=["webhooks"]))


@_action_doc("Pause a webhook: nothing is delivered until it is resumed (staff)", {**WEBHOOK, "state": "paused"})
class WebhookPause(WebhookAction):
    def act(self, webhook: Webhook) -> None:
        webhook.state = Webhook.PAUSED


@_action_doc("Resume a paused webhook: delivery goes on from the event it stopped at (staff)", WEBHOOK)
class WebhookResume(WebhookAction):
    """A failed webhook is not resumed but retried (`POST /webhooks/<id>/retry/`): a 409 says so."""

    def act(self, webhook: Webhook) -> None:
        if webhook.state == Webhook.FAILED:
            raise Conflict({"state": ["This webhook failed: deliver its failed event again with "
                                      f"POST /webhooks/{webhook.pk}/retry/."]})
        if webhook.state == Webhook.PAUSED:
            webhook.state = Webhook.ACTIVE
            webhook.failing_since, webhook.next_attempt_at = None, None  # a new retry window, tried at once


@_action_doc("Retry a failed webhook now: its failed event first, then the rest in order (staff)", WEBHOOK)
class WebhookRetry(WebhookAction):
    """The dead letter delivered again: a failed webhook is active again, its failed event tried at the relay's next
    round, with a new retry window; an active one waiting out a backoff is tried at the next round. A paused one is a
    409 (resume it)."""

    def act(self, webhook: Webhook) -> None:
        if webhook.state == Webhook.PAUSED:
            raise Conflict({"state": [f"This webhook is paused: POST /webhooks/{webhook.pk}/resume/."]})
        webhook.state = Webhook.ACTIVE
        webhook.failing_since, webhook.next_attempt_at, webhook.failure = None, None, ""


@extend_schema_view(post=doc("A new secret for a webhook, shown only in this answer; the old one stops at once "
                             "(staff)", SecretOutput, request=None,
                             examples=[example("rotated", {"id": 1, "secret": CREATED["secret"]})],
                             tags=["webhooks"]))
class WebhookRotateSecret(WebhookView):
    def post(self, request, pk: int):
        secret = new_secret()
        if not Webhook.objects.filter(pk=pk).update(secret=secret):
            raise exceptions.NotFound(f"No webhook {pk}.")
        return Response(SecretOutput({"id": pk, "secret": secret}).data)


@extend_schema_view(get=doc("A webhook's secret: never shown again after its creation (410 naming `secret`)",
                            {410: OpenApiResponse(FieldErrorsOutput, "The secret was shown once.")},
                            tags=["webhooks"]))
class WebhookSecret(WebhookView):
    def get(self, request, pk: int):
        webhook_or_404(pk)
        raise SecretShownOnce(pk)


@extend_schema_view(get=doc("A webhook's delivery attempts and the answers, newest first (staff)",
                            DeliveryOutput(many=True), examples=[example("delivered", DELIVERY)],
                            tags=["webhooks"]))
class WebhookDeliveries(WebhookView):
    pagination_class = NewestFirst
    serializer_class = DeliveryOutput

    def get(self, request, pk: int):
        webhook = webhook_or_404(pk)
        deliveries = Delivery.objects.filter(webhook=webhook).order_by("-id")
        page = self.paginate_queryset(deliveries)
        if page is None:
            return Response(DeliveryOutput(deliveries, many=True).data)
        return self.get_paginated_response(DeliveryOutput(page, many=True).data)

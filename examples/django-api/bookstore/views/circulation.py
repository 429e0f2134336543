"""Circulation: holds, lost copies found again, notices."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from .. import permissions as can
from ..records import Records
from ..errors import StorageUnavailable
from ..notices import SmtpUnreachable
from ..serializers import (
    AtInput,
    FoundOutput,
    HoldInput,
    HoldOutput,
    NoticeOutput,
    SendNoticesInput,
    SendNoticesOutput,
)
from ..store import get_store
from ..workers.notices import NoticesBusy, run_notices
from . import examples as ex
from .base import CustomerScoped, HoldScoped, KokoView, doc, example, idempotency_key


@extend_schema_view(
    post=doc(
        "Place a hold on a book: ready at once when a copy is on the shelf, else waiting in the queue "
        "(customers: for themselves, now)",
        {201: HoldOutput},
        request=HoldInput,
        write=True,
        examples=[example("Ada asks for book 1", {"customer_id": 1, "book_id": 1}, request=True),
                  example("waiting", ex.HOLD, status=201)],
        tags=["holds"],
    )
)
class HoldList(KokoView):
    permission_classes = can.OWNER_AT_SERVER_TIME
    finds_records = True  # an unknown customer_id or book_id: 404
    input_class = HoldInput
    at_field = "at"
    time_fields = ("at",)
    api_fields = {"book": "book_id", "book_id": "book_id", "customer_id": "customer_id"}
    blocked_detail = "Customer cannot place a hold"
    duplicate_messages = {"book": "This customer already has an active hold on this book."}

    def owner_id(self, request) -> Optional[int]:
        """The body's ``customer_id``, read as the input serializer reads it (None when it cannot: a 400 follows)."""
        if not isinstance(request.data, dict) or "customer_id" not in request.data:
            return None
        try:
            return HoldInput().fields["customer_id"].run_validation(request.data["customer_id"])
        except ValidationError:
            return None

    def post(self, request):
        data = self.valid(request)
        hold = get_store().place_hold(
            customer_id=data["customer_id"],
            book_id=data["book_id"],
            at=data.get("at"),
            idempotency_key=idempotency_key(request),
        )
        return Response(HoldOutput(hold).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=doc("A hold (staff, or its customer)", HoldOutput, examples=[example("a hold", ex.HOLD)], tags=["holds"])
)
class HoldDetail(HoldScoped):
    permission_classes = can.OWNER_OR_STAFF

    def get(self, request, pk: int):
        return Response(HoldOutput(get_store().hold(pk)).data)


@extend_schema_view(
    post=doc(
        "Cancel a waiting or ready hold; a copy set aside passes to the next in the queue (customers: now)",
        HoldOutput,
        request=AtInput,
        write=True,
        examples=[example("cancelled", {**ex.HOLD, "status": "cancelled", "position": None,
                                        "closed_at": "2024-06-04T10:00:00Z"})],
        tags=["holds"],
    )
)
class HoldCancel(HoldScoped):
    """POST: cancels a waiting or ready hold at ``at`` (now by default). A hold already fulfilled, cancelled or
    expired is a 400 naming ``hold``."""

    permission_classes = can.OWNER_AT_SERVER_TIME
    input_class = AtInput
    at_field = "at"
    time_fields = ("at",)

    def post(self, request, pk: int):
        data = self.valid(request)
        hold = get_store().cancel_hold(pk, at=data.get("at"), idempotency_key=idempotency_key(request))
        return Response(HoldOutput(hold).data)


@extend_schema_view(
    post=doc(
        "Expire the ready holds not picked up by `at` (staff; for schedulers, takes no key)",
        HoldOutput(many=True),
        request=AtInput,
        examples=[example("none to expire", [])],
        tags=["holds"],
    )
)
class HoldsExpire(KokoView):
    permission_classes = can.STAFF
    input_class = AtInput
    at_field = "at"

    def post(self, request):
        data = self.valid(request)
        return Response(HoldOutput(get_store().expire_holds(data.get("at")), many=True).data)  # not a page


@extend_schema_view(
    get=doc("A book's queue: its waiting and ready holds in order (staff)", HoldOutput(many=True),
            examples=[example("the queue", ex.HOLD)], tags=["holds"])
)
class BookHolds(KokoView):
    permission_classes = can.STAFF
    serializer_class = HoldOutput

    def records(self, store):
        return Records(store.holds, {"book_id": self.kwargs["pk"]})

    def get(self, request, pk: int):
        return self.list(request)


@extend_schema_view(
    get=doc("A customer's holds, every status, oldest first (staff, or the customer)", HoldOutput(many=True),
            examples=[example("holds", ex.HOLD)], tags=["holds"])
)
class CustomerHolds(CustomerScoped):
    permission_classes = can.OWNER_OR_STAFF
    serializer_class = HoldOutput

    def records(self, store):
        return Records(store.customer_holds, {"customer_id": self.kwargs["pk"]})

    def get(self, request, pk: int):
        return self.list(request)


@extend_schema_view(
    post=doc(
        "A lost copy is back (staff): set aside for the first waiting hold, or on the shelf, and the replacement "
        "fee credited back when the plan says so",
        FoundOutput,
        request=AtInput,
        write=True,
        examples=[example("found", {"copy": ex.COPY, "credit": None})],
        tags=["copies"],
    )
)
class CopyFound(KokoView):
    permission_classes = can.STAFF
    input_class = AtInput
    at_field = "at"
    api_fields = {"copy": "copy_id"}

    def post(self, request, pk: int):
        data = self.valid(request)
        found = get_store().mark_found(copy_id=pk, at=data.get("at"), idempotency_key=idempotency_key(request))
        return Response(FoundOutput(found).data)


@extend_schema_view(
    get=doc("The customer's notices not sent yet, as of now (staff, or the customer)", NoticeOutput(many=True),
            examples=[example("an overdue reminder", ex.NOTICE)], tags=["holds"])
)
class CustomerNotices(CustomerScoped):
    permission_classes = can.OWNER_OR_STAFF
    serializer_class = NoticeOutput

    def records(self, store):
        # koko lists every customer's notices (it has no call for one customer's): this customer's are picked here.
        pk = self.kwargs["pk"]
        return Records(lambda: [notice for notice in store.notices() if notice.customer_id == pk])

    def get(self, request, pk: int):
        get_store().customer(pk)  # an unknown customer is a 404, not an empty list
        return self.list(request)


class SmtpServerUnavailable(StorageUnavailable):
    default_detail = "The SMTP server cannot be reached: nothing was sent"
    default_code = "smtp_unavailable"


class NoticesRunInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Another notices run is in progress: nothing was sent"
    default_code = "notices_busy"


@extend_schema_view(
    post=doc(
        "Email customers their pending notices (due soon, overdue, hold ready), one email per customer and kind, "
        "marking each sent once its email was accepted; expires ready holds not picked up first (staff; for "
        "schedulers: the same run as `manage.py send_notices`, done by the server that holds the store). 503 when "
        "the SMTP server cannot be reached (nothing sent); 409 while another run (the background workers') is sending.",
        SendNoticesOutput,
        request=SendNoticesInput,
        examples=[example("sent", ex.NOTICES_SENT)],
        tags=["operations"],
    )
)
class NoticesSend(KokoView):
    permission_classes = can.STAFF
    input_class = SendNoticesInput
    at_field = "at"

    def post(self, request):
        data = self.valid(request)
        at = data.get("at") or dt.datetime.now(dt.timezone.utc)
        try:
            run = run_notices(get_store(), at, dry_run=data["dry_run"], expire=not data["no_expire"])
        except SmtpUnreachable as exc:
            raise SmtpServerUnavailable(str(exc)) from None
        except NoticesBusy as exc:  # the workers (or another request) are sending them: each notice goes once
            raise NoticesRunInProgress(str(exc)) from None
        return Response(SendNoticesOutput(run).data)

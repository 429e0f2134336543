"""Customer accounts: the ledger, postings, statements, blocks and the aging report."""

from __future__ import annotations

from typing import Optional

from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from .. import permissions as can
from ..filters import AsOf
from ..records import Records
from ..serializers import (
    AccountOutput,
    AgedBalanceOutput,
    BlockInput,
    BlockOutput,
    FeeInput,
    LedgerEntryOutput,
    PaymentInput,
    ReasonedAmountInput,
    StatementOutput,
    StatementQuery,
)
from ..store import get_store
from . import examples as ex
from .base import CustomerScoped, KokoView, doc, example, idempotency_key


@extend_schema_view(
    get=doc("A customer's account: balance, block and every ledger entry (staff, or the customer)", AccountOutput,
            examples=[example("the account", ex.ACCOUNT)], tags=["accounts"])
)
class CustomerAccount(CustomerScoped):
    permission_classes = can.OWNER_OR_STAFF

    def get(self, request, pk: int):
        return Response(AccountOutput(get_store().account(pk)).data)


class LedgerPosting(CustomerScoped):
    """POST one ledger entry for the customer ``pk`` (staff): 201 with the entry. Subclasses name the koko call."""

    permission_classes = can.STAFF
    at_field = "at"
    input_class = ReasonedAmountInput

    def post(self, request, pk: int):
        data = self.valid(request)
        entry = self.post_entry(get_store(), pk, data, idempotency_key(request))
        return Response(LedgerEntryOutput(entry).data, status=status.HTTP_201_CREATED)

    def post_entry(self, store, customer_id: int, data: dict, key: Optional[str]):
        raise NotImplementedError


def _posting(summary: str, request, body: dict, kind: str):
    return extend_schema_view(
        post=doc(
            summary,
            {201: LedgerEntryOutput},
            request=request,
            write=True,
            examples=[example(kind, body, request=True), example("posted", {**ex.ENTRY, "kind": kind}, status=201)],
            tags=["accounts"],
        )
    )


@_posting("Record a payment (staff)", PaymentInput, {"amount": "5.00", "note": "cash"}, "payment")
class CustomerPayments(LedgerPosting):
    input_class = PaymentInput

    def post_entry(self, store, customer_id, data, key):
        return store.pay(
            customer_id=customer_id,
            amount=data["amount"],
            at=data.get("at"),
            note=data.get("note"),
            currency=data.get("currency"),
            idempotency_key=key,
        )


class ReasonedPosting(LedgerPosting):
    """A waiver or a refund: an amount and a reason; ``koko_call`` names the store's method."""

    koko_call = ""

    def post_entry(self, store, customer_id, data, key):
        return getattr(store, self.koko_call)(
            customer_id=customer_id,
            amount=data["amount"],
            reason=data["reason"],
            at=data.get("at"),
            idempotency_key=key,
        )


@_posting("Waive part of what the customer owes (staff)", ReasonedAmountInput,
          {"amount": "1.50", "reason": "goodwill"}, "waiver")
class CustomerWaivers(ReasonedPosting):
    koko_call = "waive"


@_posting("Refund a credit (staff)", ReasonedAmountInput, {"amount": "0.50", "reason": "overpaid"}, "refund")
class CustomerRefunds(ReasonedPosting):
    koko_call = "refund"


@_posting("Charge a fee (staff)", FeeInput, {"amount": "2.00", "reason": "card replacement"}, "fee")
class CustomerFees(LedgerPosting):
    input_class = FeeInput
    api_fields = {"rental": "rental_id"}  # koko's core names the fee's rental "rental"

    def post_entry(self, store, customer_id, data, key):
        return store.post_fee(
            customer_id=customer_id,
            amount=data["amount"],
            reason=data["reason"],
            rental_id=data.get("rental_id"),
            at=data.get("at"),
            idempotency_key=key,
        )


@extend_schema_view(
    get=doc(
        "A customer's ledger over [start, end) (staff, or the customer)",
        StatementOutput,
        query=StatementQuery,
        examples=[example("June", {"customer_id": 1, "start": "2024-06-01T00:00:00Z", "end": "2024-07-01T00:00:00Z",
                                   "opening_balance": "0.00", "entries": [ex.ENTRY], "closing_balance": "-0.50"})],
        tags=["accounts"],
    )
)
class CustomerStatement(CustomerScoped):
    permission_classes = can.OWNER_OR_STAFF
    query_class = StatementQuery

    def get(self, request, pk: int):
        query = self.valid_query(request)
        return Response(StatementOutput(get_store().statement(pk, query["start"], query["end"])).data)


@extend_schema_view(
    get=doc("What each customer owes, by age at as_of (staff)", AgedBalanceOutput(many=True),
            examples=[example("one debtor", ex.AGED)], tags=["reports"])
)
class AgedBalances(KokoView):
    permission_classes = can.STAFF
    serializer_class = AgedBalanceOutput
    filter_backends = [AsOf]

    def records(self, store):
        return Records(store.aged_balances)

    def get(self, request):
        return self.list(request)


@extend_schema_view(
    post=doc("Block a customer from renting (staff)", BlockOutput, request=BlockInput, write=True,
             examples=[example("lost card", {"reason": "lost card"}, request=True), example("blocked", ex.BLOCK)],
             tags=["accounts"]),
    delete=doc("Lift a customer's block (staff)", {204: None}, write=True, tags=["accounts"]),
)
class CustomerBlock(CustomerScoped):
    permission_classes = can.STAFF
    input_class = BlockInput

    def post(self, request, pk: int):
        data = self.valid(request)
        block = get_store().block_customer(
            pk, reason=data["reason"], until=data.get("until"), idempotency_key=idempotency_key(request)
        )
        return Response(BlockOutput(block).data)

    def delete(self, request, pk: int):
        get_store().unblock_customer(pk, idempotency_key=idempotency_key(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

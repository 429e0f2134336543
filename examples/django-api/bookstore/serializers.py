"""Input validation and the JSON shapes of the Koko Book Store API.

Nothing here prices, decides availability or keeps accounts: ``rental_status`` of a book comes from
``available_copies``, ``amount_charged`` is the total of koko's charge, and every amount of an account (balances,
ledger entries, statements, aging) is koko's ``Decimal`` printed as a decimal string. Amounts sent in are parsed
as decimal strings and handed to koko, which says whether they are acceptable (positive, the currency's decimals,
within the balance).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Optional

import koko
from rest_framework import serializers

# The original API's book_type codes ↔ koko's categories.
CATEGORY_BY_TYPE = {"R": "regular", "F": "fiction", "N": "novel"}
TYPE_BY_CATEGORY = {category: code for code, category in CATEGORY_BY_TYPE.items()}

MAX_ID = 2**64 - 1


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a timezone offset (``Z`` or ``±hh:mm``); a naive time is rejected, not guessed."""

    default_error_messages = {
        "naive": "Datetime has no timezone: add an offset, e.g. 2024-06-05T10:00:00Z.",
    }

    def enforce_timezone(self, value):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            self.fail("naive")
        return value.astimezone(dt.timezone.utc)


_datetime_out = AwareDateTimeField()


def iso(value: Optional[dt.datetime]) -> Optional[str]:
    return None if value is None else _datetime_out.to_representation(value)


class MoneyField(serializers.Field):
    """An amount as a JSON decimal string (``"4.50"``), in and out; never a JSON number, never a float.

    Input is only parsed (``"-1"``, ``"0"`` and ``"1.005"`` parse): whether an amount is acceptable is koko's call,
    and its refusal comes back as a 400 naming the field. Output is koko's ``Decimal`` as it is written
    (``"4.50"``).
    """

    PATTERN = re.compile(r"[+-]?[0-9]{1,30}(\.[0-9]{1,30})?")

    default_error_messages = {
        "not_a_string": 'Send the amount as a decimal string like "4.50", not a JSON {kind}.',
        "invalid": 'Not a decimal amount like "4.50".',
    }

    def to_internal_value(self, data) -> Decimal:
        if not isinstance(data, str):
            kind = {bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}.get(type(data))
            self.fail("not_a_string", kind=kind or type(data).__name__)
        if not self.PATTERN.fullmatch(data):
            self.fail("invalid")
        return Decimal(data)

    def to_representation(self, value: Decimal) -> str:
        return str(value)


# --- input -------------------------------------------------------------------------------------------------------


class BookInput(serializers.Serializer):
    title = serializers.CharField()
    author = serializers.CharField()
    book_type = serializers.ChoiceField(choices=sorted(CATEGORY_BY_TYPE))
    copies = serializers.IntegerField(required=False, min_value=1)  # on create only; the original had one copy


class CustomerInput(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_active = serializers.BooleanField(required=False)  # absent: True on create, unchanged on update
    email = serializers.EmailField(required=False)  # where notices go; absent: none on create, unchanged on update


class RentInput(serializers.Serializer):
    book = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    date_rented = AwareDateTimeField(required=False)  # default: now


class CloseInput(serializers.Serializer):
    date_returned = AwareDateTimeField()
    damage_fee = MoneyField(required=False)  # with a note: a damage fee posted with the return (koko checks both)
    note = serializers.CharField(required=False, allow_blank=True)


class AtInput(serializers.Serializer):
    """The body of an action that happens at ``at`` (renew, cancel a hold, declare lost, mark found, expire)."""

    at = AwareDateTimeField(required=False)  # default: now


class HoldInput(AtInput):
    customer_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    book_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class PaymentInput(serializers.Serializer):
    amount = MoneyField()
    note = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    currency = serializers.CharField(required=False, allow_null=True)  # must be the store's: koko checks
    at = AwareDateTimeField(required=False)  # default: now


class ReasonedAmountInput(serializers.Serializer):
    """A waiver or a refund."""

    amount = MoneyField()
    reason = serializers.CharField()
    at = AwareDateTimeField(required=False)  # default: now


class FeeInput(ReasonedAmountInput):
    rental_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)


class BlockInput(serializers.Serializer):
    reason = serializers.CharField()
    until = AwareDateTimeField(required=False, allow_null=True)  # absent or null: until unblocked


class StatementQuery(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()


class AgedBalancesQuery(serializers.Serializer):
    as_of = AwareDateTimeField(required=False)  # default: now


# --- output ------------------------------------------------------------------------------------------------------


def book_data(store: koko.BookStore, book: koko.Book) -> dict:
    return {
        "id": book.id,
        "title": book.title,
        "author": book.author,
        "book_type": TYPE_BY_CATEGORY.get(book.category, book.category),
        "rental_status": "Available" if store.available_copies(book.id) > 0 else "Rented Out",
    }


def customer_data(customer: koko.Customer) -> dict:
    return {
        "id": customer.id,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "is_active": customer.active,
        "email": customer.email,
    }


RENTAL_STATUS = {"active": "Active", "closed": "Closed", "lost": "Lost"}


def rental_data(rental: koko.Rental, book_title: str, charge: Optional[koko.Quote] = None) -> dict:
    charge = charge if charge is not None else rental.charge
    return {
        "id": rental.id,
        "book": rental.book_id,
        "customer_id": rental.customer_id,
        "book_title": book_title,
        "rental_status": RENTAL_STATUS[rental.status],
        "date_rented": iso(rental.rented_at),
        "date_returned": iso(rental.returned_at),
        "amount_charged": None if charge is None else str(charge.total),
        "currency": None if charge is None else charge.currency,
    }


def receipt_data(receipt: koko.Receipt) -> dict:
    """The close endpoint's answer: the closed rental with its charge, and the customer's balance once the charge
    was posted (``"balance"``, a decimal string)."""
    return {**rental_data(receipt.rental, receipt.title, charge=receipt.charge), "balance": str(receipt.balance)}


def renewal_data(rental: koko.Rental, book_title: str) -> dict:
    """The renew endpoint's answer: the rental, its new due date and every renewal's instant."""
    return {
        **rental_data(rental, book_title),
        "due_date": iso(rental.due_at),
        "renewals": [iso(at) for at in rental.renewals],
    }


# Customer accounts: koko's objects, read attribute by attribute (a None stays null).


class LedgerEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    kind = serializers.CharField()  # "charge", "fee", "payment", "waiver" or "refund"
    amount = MoneyField()  # never negative: the kind says which way it moves the balance
    currency = serializers.CharField()
    at = AwareDateTimeField()
    rental_id = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_null=True)  # a payment's note, a waiver's, refund's or fee's reason
    balance_after = MoneyField()


class BlockOutput(serializers.Serializer):
    reason = serializers.CharField()
    since = AwareDateTimeField()
    until = AwareDateTimeField(allow_null=True)


class AccountOutput(serializers.Serializer):
    customer_id = serializers.IntegerField()
    balance = MoneyField()  # positive: the customer owes; negative: a credit
    currency = serializers.CharField(allow_null=True)
    block = BlockOutput(allow_null=True)
    entries = LedgerEntryOutput(many=True)


class StatementOutput(serializers.Serializer):
    customer_id = serializers.IntegerField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    opening_balance = MoneyField()
    entries = LedgerEntryOutput(many=True)
    closing_balance = MoneyField()


class AgedBalanceOutput(serializers.Serializer):
    customer_id = serializers.IntegerField()
    balance = MoneyField()
    days_0_30 = MoneyField()
    days_31_60 = MoneyField()
    days_61_90 = MoneyField()
    days_over_90 = MoneyField()


# Circulation: holds, found copies and notices, koko's records read attribute by attribute.


class HoldOutput(serializers.Serializer):
    id = serializers.IntegerField()
    book_id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    placed_at = AwareDateTimeField()
    status = serializers.CharField()  # "waiting", "ready", "fulfilled", "cancelled" or "expired"
    position = serializers.IntegerField(allow_null=True)  # 1: next in the queue; null unless waiting
    copy_id = serializers.IntegerField(allow_null=True)  # the copy set aside, once ready
    ready_until = AwareDateTimeField(allow_null=True)  # until when the copy waits for the customer
    closed_at = AwareDateTimeField(allow_null=True)
    rental_id = serializers.IntegerField(allow_null=True)  # the rental that fulfilled it


class CopyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    book_id = serializers.IntegerField()
    status = serializers.CharField()  # "available", "rented", "withdrawn", "on_hold" or "lost"
    rental_id = serializers.IntegerField(allow_null=True)


class FoundOutput(serializers.Serializer):
    copy = CopyOutput()
    credit = LedgerEntryOutput(allow_null=True)  # the replacement fee credited back, if the plan says so


class NoticeOutput(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()  # "due_soon", "overdue" or "hold_ready"
    level = serializers.IntegerField()  # an overdue notice's reminder level (1: first), else 0
    customer_id = serializers.IntegerField()
    book_id = serializers.IntegerField()
    rental_id = serializers.IntegerField(allow_null=True)
    hold_id = serializers.IntegerField(allow_null=True)
    due_at = AwareDateTimeField()  # the rental's due date, or until when the held copy waits
    amount = MoneyField(allow_null=True)  # what the rental would be charged if returned now
    currency = serializers.CharField(allow_null=True)

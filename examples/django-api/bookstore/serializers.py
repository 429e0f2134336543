"""Input validation and the JSON shapes of the Koko Book Store API.

Nothing here prices, decides availability or keeps accounts: ``rental_status`` of a book comes from
``available_copies``, ``amount_charged`` is the total of koko's charge, and every amount of an account (balances,
ledger entries, statements, aging) is koko's ``Decimal`` printed as a decimal string. Amounts sent in are parsed
as decimal strings and handed to koko, which says whether they are acceptable (positive, the currency's decimals,
within the balance).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

import koko
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .limits import MAX_COPIES_PER_CALL, MAX_ID, MAX_SEARCH_CHARS

# The original API's book_type codes ↔ koko's categories.
CATEGORY_BY_TYPE = {"R": "regular", "F": "fiction", "N": "novel"}
TYPE_BY_CATEGORY = {category: code for code, category in CATEGORY_BY_TYPE.items()}


class Serializer(serializers.Serializer):
    """DRF's ``Serializer`` with its fields made cheaply. DRF deep-copies every declared field at each
    instantiation, which runs each field's ``__init__`` again: a tenth of a rent request's time. Here each class
    deep-copies its declared fields once into a template, and each instance takes shallow copies of the template's
    fields (binding assigns a field's name, parent and source; it mutates nothing shared). Fields that hold other
    fields (nested serializers, list fields) are still deep-copied, so nothing bound is ever shared."""

    def get_fields(self):
        cls = type(self)
        template = cls.__dict__.get("_field_template")
        if template is None:
            template = copy.deepcopy(self._declared_fields)
            cls._field_template = template
        return {
            name: copy.deepcopy(field) if _holds_fields(field) else copy.copy(field)
            for name, field in template.items()
        }


def _holds_fields(field) -> bool:
    return isinstance(field, serializers.BaseSerializer) or hasattr(field, "child")


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a timezone offset (``Z`` or ``±hh:mm``); a naive time is rejected, not guessed."""

    default_error_messages = {
        "naive": "Datetime has no timezone: add an offset, e.g. 2024-06-05T10:00:00Z.",
        "out_of_range": "Datetime is out of range in UTC (years 1 to 9999).",
    }

    def enforce_timezone(self, value):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            self.fail("naive")
        try:
            return value.astimezone(dt.timezone.utc)
        except OverflowError:  # 0001-01-01T00:00:00+01:00, 9999-12-31T23:59:59-05:00
            self.fail("out_of_range")


_datetime_out = AwareDateTimeField()


def iso(value: Optional[dt.datetime]) -> Optional[str]:
    return None if value is None else _datetime_out.to_representation(value)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^[+-]?[0-9]{1,30}(\.[0-9]{1,30})?$",
                      "example": "4.50"})
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


class WholeNumberField(serializers.IntegerField):
    """DRF's ``IntegerField`` (a JSON number, or a string of digits: query parameters are strings) that takes ASCII
    digits only: Python's ``int()`` also reads ``"٣"``, ``"1_000"`` or ``" 7 "``, and ``str.isdigit()`` says yes to
    ``"²"``, which ``int()`` refuses. Anything but ``-?[0-9]+`` in a string is the field's 400."""

    DIGITS = re.compile(r"-?[0-9]{1,30}")

    def to_internal_value(self, data):
        if isinstance(data, str) and not self.DIGITS.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- input -------------------------------------------------------------------------------------------------------


class BookInput(Serializer):
    title = serializers.CharField()
    author = serializers.CharField()
    book_type = serializers.ChoiceField(choices=sorted(CATEGORY_BY_TYPE))
    # on create only; the original had one copy
    copies = WholeNumberField(required=False, min_value=1, max_value=MAX_COPIES_PER_CALL)


class CustomerInput(Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_active = serializers.BooleanField(required=False)  # absent: True on create, unchanged on update
    email = serializers.EmailField(required=False)  # where notices go; absent: none on create, unchanged on update


class RentInput(Serializer):
    book = WholeNumberField(min_value=1, max_value=MAX_ID)
    date_rented = AwareDateTimeField(required=False)  # default: now


class CloseInput(Serializer):
    date_returned = AwareDateTimeField()
    damage_fee = MoneyField(required=False)  # with a note: a damage fee posted with the return (koko checks both)
    note = serializers.CharField(required=False, allow_blank=True)


class AtInput(Serializer):
    """The body of an action that happens at ``at`` (renew, cancel a hold, declare lost, mark found, expire)."""

    at = AwareDateTimeField(required=False)  # default: now


class SendNoticesInput(AtInput):
    """The body of ``POST /notices/send/``: as of when, and ``manage.py send_notices``'s two switches."""

    dry_run = serializers.BooleanField(required=False, default=False)  # say what would be sent; change nothing
    no_expire = serializers.BooleanField(required=False, default=False)  # do not expire ready holds first


class SendNoticesOutput(Serializer):
    """What a run of ``bookstore.notices.send_notices`` did."""

    dry_run = serializers.BooleanField()
    expired = serializers.IntegerField()  # ready holds expired first
    emails = serializers.IntegerField()  # emails sent (or that would be)
    notices = serializers.IntegerField()  # notices in them, now marked sent
    failures = serializers.IntegerField()  # emails the SMTP server refused: their notices stay pending
    without_email = serializers.IntegerField()  # customers with notices but no address
    lines = serializers.ListField(child=serializers.CharField())
    problems = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()


class HoldInput(AtInput):
    customer_id = WholeNumberField(min_value=1, max_value=MAX_ID)
    book_id = WholeNumberField(min_value=1, max_value=MAX_ID)


class PaymentInput(Serializer):
    amount = MoneyField()
    note = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    currency = serializers.CharField(required=False, allow_null=True)  # must be the store's: koko checks
    at = AwareDateTimeField(required=False)  # default: now


class ReasonedAmountInput(Serializer):
    """A waiver or a refund."""

    amount = MoneyField()
    reason = serializers.CharField()
    at = AwareDateTimeField(required=False)  # default: now


class FeeInput(ReasonedAmountInput):
    rental_id = WholeNumberField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)


class BlockInput(Serializer):
    reason = serializers.CharField()
    until = AwareDateTimeField(required=False, allow_null=True)  # absent or null: until unblocked


class StatementQuery(Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()


class AgedBalancesQuery(Serializer):
    as_of = AwareDateTimeField(required=False)  # default: now


# --- output ------------------------------------------------------------------------------------------------------
# Every answer is one of these serializers over koko's objects (read attribute by attribute; a None stays null), so
# the OpenAPI schema (bookstore.schema) describes exactly what is sent.


class BookTypeField(serializers.ChoiceField):
    """A koko category as the original API's ``book_type`` code (``"R"``, ``"F"``, ``"N"``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=sorted(CATEGORY_BY_TYPE), **kwargs)

    def to_representation(self, value: str) -> str:
        return TYPE_BY_CATEGORY.get(value, value)


@extend_schema_field({"type": "string", "enum": ["Available", "Rented Out"]})
class RentalStatusOfBook(serializers.Field):
    """``"Available"`` while koko has an available copy of the book, else ``"Rented Out"`` (the store in the
    serializer's context answers)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(source="id", read_only=True, **kwargs)

    def to_representation(self, book_id: int) -> str:
        return "Available" if self.context["store"].available_copies(book_id) > 0 else "Rented Out"


class BookOutput(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    author = serializers.CharField()
    book_type = BookTypeField(source="category")
    rental_status = RentalStatusOfBook()


class CustomerOutput(Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_active = serializers.BooleanField(source="active")
    email = serializers.CharField(allow_null=True)  # where notices go


RENTAL_STATUS = {"active": "Active", "closed": "Closed", "lost": "Lost"}


@dataclass(frozen=True)
class RentalRow:
    """A rental as the API shows it: koko's rental, its book's title, its charge (a receipt's, or the rental's
    own once closed) and, for a close, the customer's balance after it."""

    rental: koko.Rental
    book_title: str
    charge: Optional[koko.Quote] = None
    balance: Optional[Decimal] = None

    @classmethod
    def of(cls, rental: koko.Rental, book_title: str) -> "RentalRow":
        return cls(rental, book_title, rental.charge)

    @classmethod
    def of_receipt(cls, receipt: koko.Receipt) -> "RentalRow":
        return cls(receipt.rental, receipt.title, receipt.charge, receipt.balance)


class QuoteLineOutput(Serializer):
    description = serializers.CharField()
    amount = MoneyField()


class QuoteOutput(Serializer):
    days = serializers.IntegerField()
    total = MoneyField()
    currency = serializers.CharField()
    lines = QuoteLineOutput(many=True)


class RentalOutput(Serializer):
    id = serializers.IntegerField(source="rental.id")
    book = serializers.IntegerField(source="rental.book_id")
    customer_id = serializers.IntegerField(source="rental.customer_id")
    book_title = serializers.CharField()
    rental_status = serializers.ChoiceField(
        choices=list(RENTAL_STATUS.values()), source="rental.status"
    )
    date_rented = AwareDateTimeField(source="rental.rented_at")
    date_returned = AwareDateTimeField(source="rental.returned_at", allow_null=True)
    amount_charged = MoneyField(source="charge.total", allow_null=True)  # null while active
    currency = serializers.CharField(source="charge.currency", allow_null=True)
    # The itemised charge a closed rental was charged (days, lines, total; null while active): its receipt.
    charge = QuoteOutput(allow_null=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["rental_status"] = RENTAL_STATUS[data["rental_status"]]
        return data


class ReceiptOutput(RentalOutput):
    """The close endpoint's answer: the closed rental with its charge, and the customer's balance once the charge
    (and a damage fee, or the replacement fees of a lost copy) was posted."""

    balance = MoneyField()


class RenewalOutput(RentalOutput):
    """The renew endpoint's answer: the rental, its new due date and every renewal's instant."""

    due_date = AwareDateTimeField(source="rental.due_at", allow_null=True)
    renewals = serializers.ListField(child=AwareDateTimeField(), source="rental.renewals")


def rental_rows(store: koko.BookStore, rentals: list) -> list:
    """Rentals with their books' titles: one read per book of the page (at most the page's size), never the
    catalogue."""
    titles = {book_id: store.book(book_id).title for book_id in {rental.book_id for rental in rentals}}
    return [RentalRow.of(rental, titles.get(rental.book_id, "")) for rental in rentals]


# Customer accounts: koko's objects, read attribute by attribute (a None stays null).


class LedgerEntryOutput(Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    kind = serializers.CharField()  # "charge", "fee", "payment", "waiver" or "refund"
    amount = MoneyField()  # never negative: the kind says which way it moves the balance
    currency = serializers.CharField()
    at = AwareDateTimeField()
    rental_id = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_null=True)  # a payment's note, a waiver's, refund's or fee's reason
    balance_after = MoneyField()


class BlockOutput(Serializer):
    reason = serializers.CharField()
    since = AwareDateTimeField()
    until = AwareDateTimeField(allow_null=True)


class AccountOutput(Serializer):
    customer_id = serializers.IntegerField()
    balance = MoneyField()  # positive: the customer owes; negative: a credit
    currency = serializers.CharField(allow_null=True)
    block = BlockOutput(allow_null=True)
    entries = LedgerEntryOutput(many=True)


class StatementOutput(Serializer):
    customer_id = serializers.IntegerField()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    opening_balance = MoneyField()
    entries = LedgerEntryOutput(many=True)
    closing_balance = MoneyField()


class AgedBalanceOutput(Serializer):
    customer_id = serializers.IntegerField()
    balance = MoneyField()
    days_0_30 = MoneyField()
    days_31_60 = MoneyField()
    days_61_90 = MoneyField()
    days_over_90 = MoneyField()


# Circulation: holds, found copies and notices, koko's records read attribute by attribute.


class HoldOutput(Serializer):
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


class CopyOutput(Serializer):
    id = serializers.IntegerField()
    book_id = serializers.IntegerField()
    status = serializers.CharField()  # "available", "rented", "withdrawn", "on_hold" or "lost"
    rental_id = serializers.IntegerField(allow_null=True)


class FoundOutput(Serializer):
    copy = CopyOutput()
    credit = LedgerEntryOutput(allow_null=True)  # the replacement fee credited back, if the plan says so


class NoticeOutput(Serializer):
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


# --- the operations added for issue 15: copies, plans, quotes, reports, logins, health ----------------------------


class CustomerCloseInput(Serializer):
    """A customer's return: at the server's time (a ``date_returned`` is refused), without damage fees."""


class CopiesInput(Serializer):
    count = WholeNumberField(min_value=1, max_value=MAX_COPIES_PER_CALL)


class PlanDocument(Serializer):
    """A koko price plan as its JSON document (docs/price-plans.md); its schema is bookstore.schema's."""

    def to_representation(self, plan: koko.PricePlan) -> dict:
        return json.loads(plan.to_json())


class PlanField(serializers.JSONField):
    """A plan document in a request (parsed and validated by koko into a ``PricePlan``) or an answer."""

    def to_internal_value(self, data) -> koko.PricePlan:
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected a price plan object.")
        try:
            return koko.PricePlan.from_json(json.dumps(data))
        except koko.InvalidPlan as exc:
            raise serializers.ValidationError(f"{exc.field}: {exc.reason}" if exc.field else str(exc.reason or exc))

    def to_representation(self, plan: koko.PricePlan) -> dict:
        return PlanDocument(plan).data


class PublishPlanInput(Serializer):
    plan = PlanField()
    effective_from = AwareDateTimeField()


class PlanVersionOutput(Serializer):
    id = serializers.IntegerField()
    effective_from = AwareDateTimeField()
    plan = PlanField()


class QuoteQuery(Serializer):
    """What to price: a ``book`` (its category) or a ``book_type``, for ``days`` days or from ``rented_at`` to
    ``returned_at``."""

    book = WholeNumberField(required=False, min_value=1, max_value=MAX_ID)
    book_type = serializers.ChoiceField(choices=sorted(CATEGORY_BY_TYPE), required=False)
    days = WholeNumberField(required=False, min_value=0, max_value=2**32 - 1)
    rented_at = AwareDateTimeField(required=False)
    returned_at = AwareDateTimeField(required=False)

    def validate(self, data: dict) -> dict:
        if ("book" in data) == ("book_type" in data):
            raise serializers.ValidationError({"book": ["Give either book or book_type."]})
        times = [name for name in ("rented_at", "returned_at") if name in data]
        if ("days" in data) == bool(times):
            raise serializers.ValidationError({"days": ["Give either days, or rented_at and returned_at."]})
        if len(times) == 1:
            missing = "returned_at" if times == ["rented_at"] else "rented_at"
            raise serializers.ValidationError({missing: ["This field is required with " + times[0] + "."]})
        return data


class BookSearchQuery(Serializer):
    """``GET /books/``: words of title, author or ISBN (prefixes, case and accents ignored), a category, and whether
    a copy is on the shelf; every part given must match."""

    search = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True, max_length=MAX_SEARCH_CHARS)
    category = serializers.ChoiceField(choices=sorted(TYPE_BY_CATEGORY), required=False)
    available = serializers.BooleanField(required=False, allow_null=True, default=None)


class CustomerSearchQuery(Serializer):
    """``GET /customers/``: words of first name, last name or email (prefixes)."""

    search = serializers.CharField(required=False, allow_blank=True, trim_whitespace=True, max_length=MAX_SEARCH_CHARS)


class RentalFilterQuery(Serializer):
    """``GET /rentals/``: by status, customer, and open past their due date now (``overdue=true``)."""

    status = serializers.ChoiceField(choices=sorted(RENTAL_STATUS), required=False)
    customer = WholeNumberField(required=False, min_value=1, max_value=MAX_ID)
    overdue = serializers.ChoiceField(choices=["true"], required=False)


class AtQuery(Serializer):
    at = AwareDateTimeField(required=False)  # default: now


class PeriodQuery(Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()


class RevenueLineOutput(Serializer):
    currency = serializers.CharField()
    category = serializers.CharField()
    book_type = BookTypeField(source="category")
    rentals = serializers.IntegerField()
    total = MoneyField()


class CurrencyTotalOutput(Serializer):
    currency = serializers.CharField()
    total = MoneyField()


class OutstandingOutput(Serializer):
    at = AwareDateTimeField()
    rentals = serializers.IntegerField()
    totals = CurrencyTotalOutput(many=True)


class LoginInput(Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{1,150}\Z", max_length=150)


class LoginOutput(Serializer):
    username = serializers.CharField()
    customer_id = serializers.IntegerField()
    token = serializers.CharField()


HEALTH = ("ok", "unavailable")


class HealthOutput(Serializer):
    status = serializers.ChoiceField(choices=HEALTH)
    store = serializers.ChoiceField(choices=HEALTH)
    database = serializers.ChoiceField(choices=HEALTH + ("unused",))


# --- error answers (bookstore.errors and DRF produce them; bookstore.schema documents them) ------------------------


class ErrorOutput(Serializer):
    """401, 403, 404, 429, 503: what went wrong; a refusal by a block or a plan limit also names the ``rule``."""

    detail = serializers.CharField()
    rule = serializers.CharField(required=False)


class FieldErrorsOutput(Serializer):
    """400 and 409: the messages per field (``non_field_errors``, ``detail``, or the ``Idempotency-Key`` header);
    its schema is bookstore.schema's (any key: a message or a list of messages)."""

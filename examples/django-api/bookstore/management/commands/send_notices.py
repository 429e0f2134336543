"""``manage.py send_notices [--at ISO] [--dry-run] [--no-expire]``: emails customers what koko says they should be
told — rentals due soon, overdue rentals, copies set aside for their holds — one email per customer and kind.

koko decides what is due (``store.notices(at)``: the plan's ``notices`` section, the holds that are ready) and
remembers what was sent (``store.mark_notified``): a notice is marked only once the SMTP server accepted its email,
so a run that fails half-way sends the rest next time and never sends one twice. Customers without an email address
are reported and left unmarked, so every run reports them again until they have one. Ready holds not picked up in
time are expired first (``store.expire_holds``), unless ``--no-expire``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import smtplib
from typing import Dict, List, Tuple

import koko
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

from bookstore.serializers import iso
from bookstore.store import get_store


def aware(value: str) -> dt.datetime:
    """An ISO 8601 time with an offset (``2024-06-09T10:00:00Z``); a naive one is refused, not guessed."""
    parsed = parse_datetime(value)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time such as 2024-06-09T10:00:00Z")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no timezone offset: add one, such as Z or +02:00")
    return parsed.astimezone(dt.timezone.utc)


def grouped(notices: List[koko.Notice]) -> Dict[Tuple[int, str], List[koko.Notice]]:
    """The notices by (customer, kind), in the order koko listed them."""
    groups: Dict[Tuple[int, str], List[koko.Notice]] = {}
    for notice in notices:
        groups.setdefault((notice.customer_id, notice.kind), []).append(notice)
    return groups


class Command(BaseCommand):
    help = (
        "Email customers their pending notices (due soon, overdue, hold ready), one email per customer and kind, "
        "and mark each notice sent once its email was accepted. Expires ready holds not picked up first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--at", type=aware, default=None, help="the instant to send as of (ISO 8601 with an offset); default: now"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be sent; expire no hold, send no email, mark no notice",
        )
        parser.add_argument("--no-expire", action="store_true", help="do not expire ready holds first")

    def handle(self, *args, at=None, dry_run=False, no_expire=False, **options) -> None:
        try:
            store = get_store()
        except koko.KokoError as exc:
            # A store the API server holds, or none at all: one line (koko's says which process and what to do).
            raise CommandError(str(exc)) from None
        at = at or dt.datetime.now(dt.timezone.utc)
        if not (no_expire or dry_run):
            expired = store.expire_holds(at)
            self.stdout.write(f"expired {len(expired)} holds not picked up by {iso(at)}")
        groups = grouped(store.notices(at))
        titles: Dict[int, str] = {}
        without_email: Dict[int, int] = {}  # customer id → notices not sent
        emails = notices_sent = failures = 0
        connection = None if dry_run else self.open_connection()
        try:
            for (customer_id, kind), notices in groups.items():
                customer = store.customer(customer_id)
                if not customer.email:
                    without_email[customer_id] = without_email.get(customer_id, 0) + len(notices)
                    continue
                message = self.message(store, customer, kind, notices, titles)
                if dry_run:
                    self.stdout.write(f"would send to {customer.email}: {message.subject} ({len(notices)} notices)")
                else:
                    try:
                        connection.send_messages([message])
                    except (smtplib.SMTPException, OSError) as exc:
                        failures += 1
                        self.stderr.write(f"not sent to {customer.email} (customer {customer_id}): {exc}")
                        continue
                    # Accepted by the server: only now are these notices sent.
                    store.mark_notified([notice.key for notice in notices], at=at)
                    self.stdout.write(f"sent to {customer.email}: {message.subject}")
                emails += 1
                notices_sent += len(notices)
        finally:
            if connection is not None:
                connection.close()
        for customer_id, count in without_email.items():
            customer = store.customer(customer_id)
            self.stderr.write(
                f"customer {customer_id} ({customer.first_name} {customer.last_name}) has no email address: "
                f"{count} notices not sent"
            )
        summary = f"{emails} emails for {notices_sent} notices; {len(without_email)} customers without email"
        self.stdout.write(f"dry run: would send {summary}" if dry_run else f"sent {summary}")
        if failures:
            raise CommandError(f"{failures} emails were not accepted; their notices stay pending for the next run")

    def open_connection(self):
        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise CommandError(
                f"cannot reach the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}: {exc}; nothing was sent"
            ) from exc
        return connection

    def message(
        self,
        store: koko.BookStore,
        customer: koko.Customer,
        kind: str,
        notices: List[koko.Notice],
        titles: Dict[int, str],
    ) -> EmailMessage:
        """One customer's email for notices of one kind, rendered from ``bookstore/notices/<kind>_*.txt``."""
        items = []
        for notice in notices:
            if notice.book_id not in titles:
                titles[notice.book_id] = store.book(notice.book_id).title
            items.append(
                {
                    "title": titles[notice.book_id],
                    "due_at": notice.due_at,
                    "amount": notice.amount,
                    "currency": notice.currency,
                    "level": notice.level,
                }
            )
        context = {"customer": customer, "items": items, "level": max(n.level for n in notices)}
        subject = render_to_string(f"bookstore/notices/{kind}_subject.txt", context)
        body = render_to_string(f"bookstore/notices/{kind}_body.txt", context)
        return EmailMessage(
            subject=" ".join(subject.split()),  # one line: a header cannot hold a newline
            body=body.strip() + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[customer.email],
        )

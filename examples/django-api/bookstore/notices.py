"""Sending customers their pending notices by email: what ``manage.py send_notices`` and ``POST /notices/send/``
both run (so a server that holds the store can send them itself).

koko decides what is due (``store.notices(at)``: the plan's ``notices`` section, the holds that are ready) and
remembers what was sent (``store.mark_notified``): a notice is marked only once the SMTP server accepted its email,
so a run that fails half-way sends the rest next time and never sends one twice. Customers without an email address
are reported and left unmarked, so every run reports them again until they have one. Ready holds not picked up in
time are expired first (``store.expire_holds``), unless told not to.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import koko
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string

from .serializers import iso


class SmtpUnreachable(Exception):
    """The SMTP server could not be reached: nothing was sent."""


@dataclass
class NoticeRun:
    """What a run did: the lines it reports (``sent to …``), the problems (``not sent to …``, customers without an
    address), and its counts."""

    dry_run: bool
    expired: int = 0
    emails: int = 0
    notices: int = 0
    failures: int = 0
    without_email: int = 0
    stopped: bool = False  # ``keep_going`` said no: the rest waits for the next run
    lines: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        counts = f"{self.emails} emails for {self.notices} notices; {self.without_email} customers without email"
        return f"dry run: would send {counts}" if self.dry_run else f"sent {counts}"


def grouped(notices: List[koko.Notice]) -> Dict[Tuple[int, str], List[koko.Notice]]:
    """The notices by (customer, kind), in the order koko listed them."""
    groups: Dict[Tuple[int, str], List[koko.Notice]] = {}
    for notice in notices:
        groups.setdefault((notice.customer_id, notice.kind), []).append(notice)
    return groups


def send_notices(
    store: koko.BookStore,
    at: dt.datetime,
    dry_run: bool = False,
    expire: bool = True,
    keep_going: Optional[Callable[[], bool]] = None,
    lazy: bool = False,
) -> NoticeRun:
    """Expires ready holds not picked up by ``at`` (unless ``expire`` is false or it is a dry run), then emails each
    customer their pending notices, one email per kind, marking each notice sent once its email was accepted.
    Raises ``SmtpUnreachable`` (nothing sent) when the SMTP server cannot be reached. ``keep_going`` is asked before
    each email (the workers renew their lease with it: ``bookstore.workers.notices``); when it answers False the run
    stops there (``stopped``) and the rest stays pending. ``lazy``: connect to the SMTP server only for a first email
    (the workers' frequent runs, which mostly find none), not at the start."""
    run = NoticeRun(dry_run=dry_run)
    if expire and not dry_run:
        run.expired = len(store.expire_holds(at))
        run.lines.append(f"expired {run.expired} holds not picked up by {iso(at)}")
    titles: Dict[int, str] = {}
    without_email: Dict[int, int] = {}  # customer id → notices not sent
    connection = None if dry_run or lazy else open_connection()
    try:
        for (customer_id, kind), notices in grouped(store.notices(at)).items():
            customer = store.customer(customer_id)
            if not customer.email:
                without_email[customer_id] = without_email.get(customer_id, 0) + len(notices)
                continue
            email = message(store, customer, kind, notices, titles)
            if not dry_run and keep_going is not None and not keep_going():
                run.stopped = True
                run.problems.append("stopped: this run lost its lease; the rest is sent by the next run")
                break
            if dry_run:
                run.lines.append(f"would send to {customer.email}: {email.subject} ({len(notices)} notices)")
            else:
                if connection is None:
                    connection = open_connection()
                try:
                    connection.send_messages([email])
                except (smtplib.SMTPException, OSError) as exc:
                    run.failures += 1
                    run.problems.append(f"not sent to {customer.email} (customer {customer_id}): {exc}")
                    continue
                # Accepted by the server: only now are these notices sent.
                store.mark_notified([notice.key for notice in notices], at=at)
                run.lines.append(f"sent to {customer.email}: {email.subject}")
            run.emails += 1
            run.notices += len(notices)
    finally:
        if connection is not None:
            connection.close()
    for customer_id, count in without_email.items():
        customer = store.customer(customer_id)
        run.problems.append(
            f"customer {customer_id} ({customer.first_name} {customer.last_name}) has no email address: "
            f"{count} notices not sent"
        )
    run.without_email = len(without_email)
    return run


def open_connection():
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        raise SmtpUnreachable(
            f"cannot reach the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT}: {exc}; nothing was sent"
        ) from exc
    return connection


def message(
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

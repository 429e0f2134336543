"""``manage.py send_notices [--at ISO] [--dry-run] [--no-expire]``: emails customers what koko says they should be
told — rentals due soon, overdue rentals, copies set aside for their holds — one email per customer and kind
(``bookstore.notices``, which ``POST /notices/send/`` runs too).

A sled store serves one process at a time: while the API server holds it, this command says so in one line, and
the server sends the notices itself when asked (``POST /notices/send/`` with a staff token).
"""

from __future__ import annotations

import argparse
import datetime as dt

import koko
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from bookstore.notices import SmtpUnreachable
from bookstore.store import get_store
from bookstore.workers.notices import NoticesBusy, run_notices


def aware(value: str) -> dt.datetime:
    """An ISO 8601 time with an offset (``2024-06-09T10:00:00Z``); a naive one is refused, not guessed."""
    parsed = parse_datetime(value)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time such as 2024-06-09T10:00:00Z")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no timezone offset: add one, such as Z or +02:00")
    return parsed.astimezone(dt.timezone.utc)


class Command(BaseCommand):
    help = (
        "Email customers their pending notices (due soon, overdue, hold ready), one email per customer and kind, "
        "and mark each notice sent once its email was accepted. Expires ready holds not picked up first. While "
        "the API server holds a sled store, ask it instead: POST /notices/send/ with a staff token (body: at, "
        "dry_run, no_expire)."
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
            hint = "; while the API server runs, it sends them: POST /notices/send/ with a staff token"
            raise CommandError(f"{exc}{hint if 'another process' in str(exc) else ''}") from None
        try:
            run = run_notices(store, at or dt.datetime.now(dt.timezone.utc), dry_run=dry_run, expire=not no_expire)
        except (SmtpUnreachable, NoticesBusy) as exc:
            raise CommandError(str(exc)) from None
        for line in run.lines:
            self.stdout.write(line)
        for problem in run.problems:
            self.stderr.write(problem)
        self.stdout.write(run.summary)
        if run.failures:
            raise CommandError(f"{run.failures} emails were not accepted; their notices stay pending for the next run")

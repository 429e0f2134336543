"""``manage.py relay_webhooks [--once] [--interval S]``: the webhook relay in the foreground — a round
(``bookstore.webhooks.relay.relay_once``) every ``--interval`` seconds until interrupted, or one with ``--once``.

It may run beside the API's own workers and beside other copies of itself: each webhook is delivered by one relay at
a time (its lease). On sled the store belongs to the API server's process, so run this against PostgreSQL (on sled
the server's worker thread relays)."""

from __future__ import annotations

import signal
import threading

import koko
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from bookstore.store import get_store
from bookstore.webhooks.relay import relay_once


def positive(value: str) -> float:
    seconds = float(value)
    if not seconds > 0:
        raise ValueError(value)
    return seconds


class Command(BaseCommand):
    help = "Deliver koko's events to the webhooks: a round every --interval seconds, or one with --once."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=positive, default=2.0, help="seconds between rounds (default 2)")

    def handle(self, *args, once: bool = False, interval: float = 2.0, **options):
        try:
            store = get_store()
        except koko.KokoError as exc:
            raise CommandError(str(exc)) from None
        stopping = threading.Event()
        if not once:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stopping.set())
        total = 0
        while True:
            close_old_connections()
            delivered = relay_once(store)
            total += delivered
            if delivered:
                self.stdout.write(f"delivered {delivered} events", ending="\n")
                self.stdout.flush()
            if once or stopping.wait(interval):
                break
        self.stdout.write(f"relay_webhooks: {total} events delivered")

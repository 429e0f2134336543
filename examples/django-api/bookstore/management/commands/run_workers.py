"""``manage.py run_workers [--once]``: the background workers' loop (``bookstore.workers.thread``) in the foreground —
export jobs, the webhook relay, the notices on their schedule and as events make them due, the exports' expiry — for
debugging, or to run them beside a server started with ``KOKO_API_WORKERS=off``. ``--once``: one turn, then exit.

A sled store serves one process at a time: while the API server holds it, its own thread runs the workers.
"""

from __future__ import annotations

import signal

import koko
from django.core.management.base import BaseCommand, CommandError

from bookstore.store import get_store
from bookstore.workers.thread import Workers


class Command(BaseCommand):
    help = (
        "Run the background workers' loop in the foreground (export jobs, webhook relay, notices, export expiry) "
        "until interrupted; --once runs one turn."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due once, then exit")

    def handle(self, *args, once=False, **options) -> None:
        try:
            get_store()
        except koko.KokoError as exc:
            raise CommandError(f"{exc}") from None
        workers = Workers()
        if once:
            workers.turn()
            self.stdout.write("workers: one turn done")
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: workers.stop(timeout=0))
        self.stdout.write("workers: running; Ctrl-C stops them")
        workers.run_forever()

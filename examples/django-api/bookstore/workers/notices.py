"""The notices as a background job: on a schedule (``scheduled``), and as koko's events make them due
(``on_events``: a consumer of the event feed under the checkpoint ``notices``).

Every run — these, ``POST /notices/send/`` and ``manage.py send_notices`` — goes through ``run_notices``: it holds
the lease ``notices`` (``lease.py``) for the whole run and renews it before each email, so two workers never list
the same pending notice at once. koko marks each notice sent once the SMTP server accepted its email
(``bookstore.notices``), so the next run does not send it again: each notice is sent once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

import koko

from ..notices import NoticeRun, send_notices
from . import lease

logger = logging.getLogger("bookstore.workers")

LEASE = "notices"
CHECKPOINT = "notices"
# The events after which a notice may be due at once (the others become due as time passes: the schedule's job).
NOTICE_EVENTS = frozenset({"hold.ready"})


class NoticesBusy(Exception):
    """Another notices run holds the lease: nothing was sent by this one."""


def run_notices(
    store: koko.BookStore, at: dt.datetime, dry_run: bool = False, expire: bool = True, lazy: bool = False
) -> NoticeRun:
    """One run of the notices under the lease (a dry run needs none: it sends and marks nothing). Raises
    ``NoticesBusy`` when another run holds it, and ``SmtpUnreachable`` as ``send_notices`` does (``lazy``: only
    when there is an email to send)."""
    if dry_run:
        return send_notices(store, at, dry_run=True, expire=expire)
    with lease.held(LEASE) as token:
        if token is None:
            raise NoticesBusy("another notices run is in progress: nothing was sent; try again in a moment")
        return send_notices(store, at, expire=expire, keep_going=lambda: lease.renew(LEASE, token), lazy=lazy)


def scheduled(store: koko.BookStore, now: dt.datetime) -> Optional[NoticeRun]:
    """The scheduled run (every ``KOKO_API_NOTICES_SECONDS``); None when another run is in progress."""
    try:
        run = run_notices(store, now, lazy=True)
    except NoticesBusy:
        return None
    if run.emails or run.problems:
        logger.info("notices: %s%s", run.summary, "".join(f"; {p}" for p in run.problems))
    return run


def on_events(store: koko.BookStore, now: dt.datetime) -> Optional[NoticeRun]:
    """Looks at koko's event feed after the checkpoint ``notices``: when a notice-making event (``hold.ready``) was
    written since, runs the notices at once. Two reads whatever the backlog: the feed's last position, then one
    event of those types (koko's type index) — the events of other types are never read. Positions are gap-free in
    commit order, so every such event up to the last position read first is found by the second read. The
    checkpoint moves to that position only once the run is done, so a failed run (the SMTP server down, the lease
    lost) is tried again at the next call. Answers the run, or None when none was needed (or possible)."""
    with lease.held(LEASE) as token:
        if token is None:
            return None  # another run is sending them now; the next call looks again
        after = store.checkpoint(CHECKPOINT)
        last = store.last_event_position()
        if after is not None and last <= after:
            return None
        run = None
        if store.events(after=after, limit=1, types=sorted(NOTICE_EVENTS)):
            run = send_notices(store, now, keep_going=lambda: lease.renew(LEASE, token), lazy=True)
            logger.info("notices after %s: %s", ", ".join(sorted(NOTICE_EVENTS)), run.summary)
            if run.stopped:
                return run
        store.set_checkpoint(CHECKPOINT, last)
        return run

"""The relay: one round of webhook deliveries, ``relay_once(store, now)``.

For each active webhook not waiting out a backoff, under its lease: the events of its types after its koko
checkpoint ``webhook:<id>``, read through koko's type index (the others are never read, only passed over by the
checkpoint), in position order, one at a time, are POSTed (``signing``). A 2xx answer moves the checkpoint past the
event (koko's ``set_checkpoint``); anything else (another status, a timeout, a refused connection) is recorded and
ends the webhook's round: the same event is tried again after a backoff of ``KOKO_WEBHOOK_BACKOFF_SECONDS`` doubling
up to ``KOKO_WEBHOOK_BACKOFF_MAX_SECONDS``, never a later one first. When an attempt still fails ``KOKO_WEBHOOK_RETRY_HOURS`` after the event's first failure, the webhook is
``failed`` (its dead letter: the event and the error in ``failure``) and gets nothing more until ``POST
/webhooks/<id>/retry/``.

At least once, in order: the checkpoint moves only after the receiver's 2xx, so a relay that dies between the answer
and the checkpoint sends that event again — with the same ``Koko-Event-Id`` — and a receiver deduplicates on it.

Several relays may run at once (the API's workers, ``manage.py relay_webhooks`` elsewhere): a webhook is delivered by
the relay holding its lease (``leased_by``/``leased_until``, taken by one conditional UPDATE, atomic on SQLite and
PostgreSQL alike), renewed before each delivery for the timeout and a margin, released after the webhook's round; a
relay that dies holding one loses it when it expires. Lease times are the real clock's; ``now`` (injected by tests
and schedulers) decides backoffs and the retry window.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from typing import Optional, Tuple

import koko
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from ..models import Delivery, Webhook
from . import feed, signing

logger = logging.getLogger("bookstore.webhooks")

READ = 100  # events read from koko per call
EXCERPT = 500  # characters of a receiver's answer kept (Delivery.response)
USER_AGENT = "koko-webhooks/1"
HOLDER = f"{socket.gethostname()[:40]}:{secrets.token_hex(6)}"  # this process, in leased_by


def relay_once(store: koko.BookStore, now: Optional[dt.datetime] = None) -> int:
    """One round over every active webhook; answers how many events were delivered (2xx answers)."""
    now = now or timezone.now()
    due = (Webhook.objects.filter(state=Webhook.ACTIVE)
           .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
           .values_list("pk", flat=True).order_by("pk"))
    delivered = 0
    for pk in list(due):
        token = None
        try:
            if not _has_news(store, pk):
                continue  # an idle webhook costs two koko reads a round, and no write
            token = take_lease(pk)
            if token is None:
                continue  # another relay is delivering to it
            delivered += _round(store, pk, token, now)
        except (koko.StorageError, DatabaseError) as exc:  # try again next round; the others may still go
            logger.warning("webhook %s: round stopped: %s", pk, exc)
        finally:
            if token is not None:
                release_lease(pk, token)
    return delivered


def _has_news(store: koko.BookStore, pk: int) -> bool:
    """Whether the feed goes past webhook ``pk``'s checkpoint (or it has none yet)."""
    after = store.checkpoint(feed.checkpoint_name(pk))
    return after is None or bool(store.events(after=after, limit=1))


# --- the lease ---------------------------------------------------------------------------------------------------


def lease_seconds() -> float:
    return max(settings.KOKO_WEBHOOK_LEASE_SECONDS, settings.KOKO_WEBHOOK_TIMEOUT_SECONDS + 1)


def take_lease(pk: int) -> Optional[str]:
    """Webhook ``pk``'s lease if it is free or expired: a token, else None. One conditional UPDATE."""
    token = f"{HOLDER}:{secrets.token_hex(4)}"
    clock = timezone.now()
    try:
        taken = (Webhook.objects.filter(pk=pk).filter(Q(leased_until__isnull=True) | Q(leased_until__lte=clock))
                 .update(leased_by=token, leased_until=clock + dt.timedelta(seconds=lease_seconds())))
    except DatabaseError as exc:  # e.g. SQLite's "database is locked" under concurrent writers: next round
        logger.info("webhook %s: lease not taken: %s", pk, exc)
        return None
    return token if taken == 1 else None


def renew_lease(pk: int, token: str) -> bool:
    """Extends the lease while ``token`` holds it and the webhook is still active (False: the lease expired and
    another relay took it, or the webhook was paused or deleted meanwhile)."""
    until = timezone.now() + dt.timedelta(seconds=lease_seconds())
    return Webhook.objects.filter(pk=pk, leased_by=token, state=Webhook.ACTIVE).update(leased_until=until) == 1


def release_lease(pk: int, token: str) -> None:
    try:
        Webhook.objects.filter(pk=pk, leased_by=token).update(leased_by="", leased_until=None)
    except DatabaseError as exc:  # it expires by itself
        logger.warning("webhook %s: lease not released: %s", pk, exc)


# --- one webhook's round -----------------------------------------------------------------------------------------


def _round(store: koko.BookStore, pk: int, token: str, now: dt.datetime) -> int:
    webhook = Webhook.objects.filter(pk=pk).first()  # as it is now that the lease is ours
    if webhook is None or webhook.state != Webhook.ACTIVE:
        return 0
    if webhook.next_attempt_at is not None and webhook.next_attempt_at > now:
        return 0
    name = feed.checkpoint_name(pk)
    after = store.checkpoint(name)
    if after is None:  # created while koko was unavailable: from the feed's end on
        after = feed.register(store, pk)
    types = sorted(set(webhook.events or ())) or None
    delivered = 0
    while True:
        # The feed's end, read before the page: positions are gap-free in commit order, so a page of its types
        # shorter than READ holds every such event up to `last`, and the checkpoint may pass the others unread.
        last = store.last_event_position()
        events = store.events(after=after, limit=READ, types=types)
        for event in events:
            if not renew_lease(pk, token):
                logger.info("webhook %s: lease lost or webhook no longer active, round ended", pk)
                return delivered
            if not _deliver(webhook, event, now):
                return delivered
            store.set_checkpoint(name, event.position)
            after = event.position
            delivered += 1
        if len(events) < READ:
            if last > after:  # the events of other types up to `last` are handled: prune may drop them
                store.set_checkpoint(name, last)
            return delivered


def _deliver(webhook: Webhook, event: koko.Event, now: dt.datetime) -> bool:
    """POSTs one event; records the attempt and, on failure, the backoff or the dead letter. True on a 2xx."""
    status, excerpt, error = post(webhook.url, webhook.secret, event)
    retrying = webhook.failing_position == event.position
    attempt = (webhook.attempts if retrying else 0) + 1
    record = Delivery(webhook_id=webhook.pk, event_id=event.id, position=event.position, type=event.type,
                      attempt=attempt, attempted_at=now, status_code=status, response=excerpt, error=error)
    if error == "":
        record.state = Delivery.DELIVERED
        record.save()
        webhook.failing_position, webhook.failing_since, webhook.attempts = None, None, 0
        webhook.next_attempt_at, webhook.failure = None, ""
        Webhook.objects.filter(pk=webhook.pk).update(failing_position=None, failing_since=None, attempts=0,
                                                     next_attempt_at=None, failure="")
        return True
    since = webhook.failing_since if retrying and webhook.failing_since else now
    window = dt.timedelta(hours=settings.KOKO_WEBHOOK_RETRY_HOURS)
    changes = {"failing_position": event.position, "failing_since": since, "attempts": attempt}
    if now - since >= window:
        record.state = Delivery.FAILED
        changes.update(state=Webhook.FAILED, next_attempt_at=None,
                       failure=f"{event.id} ({event.type}) undelivered after {attempt} attempts since "
                               f"{since.isoformat()}: {error}")
        logger.warning("webhook %s failed: %s", webhook.pk, changes["failure"])
    else:
        record.state = Delivery.PENDING
        record.next_attempt_at = changes["next_attempt_at"] = now + backoff(attempt)
        changes["failure"] = ""
    record.save()
    Webhook.objects.filter(pk=webhook.pk).update(**changes)
    for field, value in changes.items():
        setattr(webhook, field, value)
    return False


def backoff(attempt: int) -> dt.timedelta:
    """The wait after failed attempt number ``attempt``: the first backoff, doubling, capped."""
    first, cap = settings.KOKO_WEBHOOK_BACKOFF_SECONDS, settings.KOKO_WEBHOOK_BACKOFF_MAX_SECONDS
    return dt.timedelta(seconds=min(cap, first * 2 ** min(attempt - 1, 40)))


def post(url: str, secret: str, event: koko.Event) -> Tuple[Optional[int], str, str]:
    """``(status, answer excerpt, error)``: error is "" for a 2xx answer."""
    payload = signing.body(event)
    request = urllib.request.Request(url, data=payload, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.EVENT_ID_HEADER: event.id,
        signing.SIGNATURE_HEADER: signing.signature(secret, int(time.time()), payload),
    })
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(request, timeout=settings.KOKO_WEBHOOK_TIMEOUT_SECONDS) as response:
            status, text = response.status, _excerpt(response)
    except urllib.error.HTTPError as exc:
        status, text = exc.code, _excerpt(exc)
    except (urllib.error.URLError, OSError, ValueError) as exc:  # refused, unreachable, timed out, a bad URL
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return None, "", f"no answer within {settings.KOKO_WEBHOOK_TIMEOUT_SECONDS:g} s"
        return None, "", f"{type(reason).__name__}: {reason}"[:1000]
    if 200 <= status < 300:
        return status, text, ""
    return status, text, f"HTTP {status}"


def _excerpt(response) -> str:
    try:
        return response.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT]
    except (OSError, ValueError):
        return ""


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer (a failure), not a place to send the event and its signature."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None

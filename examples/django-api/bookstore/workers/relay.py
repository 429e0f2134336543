"""The webhook relay's turn: ``bookstore.webhooks.relay.relay_once(store, now)`` (events delivered). The relay takes
each webhook's own lease (one conditional UPDATE in Django's database), so several workers relay at once without
delivering an event twice: different webhooks in parallel, one webhook by one worker at a time. Without the webhooks
module nothing is relayed."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util

import koko

MODULE = "bookstore.webhooks.relay"


def available() -> bool:
    """Whether this API has the webhook relay."""
    try:
        return importlib.util.find_spec(MODULE) is not None
    except ModuleNotFoundError:  # no bookstore.webhooks package
        return False


def relay(store: koko.BookStore, now: dt.datetime) -> int:
    """One turn of the relay: the events it delivered (0 without a relay)."""
    if not available():
        return 0
    return int(importlib.import_module(MODULE).relay_once(store, now) or 0)

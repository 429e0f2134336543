"""The koko feed as webhooks read it: each webhook's checkpoint, ``webhook:<id>``, in koko itself — so koko's
``prune_events`` keeps every event a webhook has not received, and a deleted webhook's checkpoint goes with it."""

from __future__ import annotations

import koko


def checkpoint_name(webhook_id: int) -> str:
    return f"webhook:{webhook_id}"


def register(store: koko.BookStore, webhook_id: int) -> int:
    """A new webhook's checkpoint at the feed's current end: it receives the events written from now on."""
    return store.set_checkpoint(checkpoint_name(webhook_id), store.last_event_position())


def unregister(store: koko.BookStore, webhook_id: int) -> None:
    """A deleted webhook's checkpoint removed: it holds back pruning no more."""
    store.remove_checkpoint(checkpoint_name(webhook_id))

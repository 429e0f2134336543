"""Verifying a Koko webhook delivery on the receiver's side: the recipe of docs/rest-api-reference.md#webhooks, with
the standard library only (copy it into your receiver). The tests check every delivery with it."""

import hashlib
import hmac
import time


def verify_webhook(secret: str, body: bytes, signature: str, tolerance: int = 300, now=None) -> bool:
    """Whether ``body`` (the raw request body, as received) was signed with ``secret`` (the webhook's, from POST
    /webhooks/) less than ``tolerance`` seconds from ``now``: ``signature`` is the Koko-Signature header,
    ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    try:
        fields = dict(part.split("=", 1) for part in signature.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False  # too old (or from the future): a replayed request
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields.get("v1", ""))

"""What a delivery sends: the JSON body and its signature.

``Koko-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the webhook's secret>``. A receiver
recomputes it over the raw body it received (``tools/verify_webhook.py``, docs/rest-api-reference.md#webhooks) and
refuses a ``t`` too far from its clock, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import koko

from ..serializers import iso

SIGNATURE_HEADER = "Koko-Signature"
EVENT_ID_HEADER = "Koko-Event-Id"


def body(event: koko.Event) -> bytes:
    """``{"id", "type", "position", "at", "data"}``: ``data`` is koko's payload JSON exactly as the store keeps it."""
    head = json.dumps({"id": event.id, "type": event.type, "position": event.position,
                       "at": iso(event.at)}, separators=(",", ":"))
    return f'{head[:-1]},"data":{event.data_json}}}'.encode()


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"

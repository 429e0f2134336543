"""Webhooks: koko's events POSTed to receivers' URLs, signed, at least once and in position order per webhook.

- ``feed``: the feed's end and each webhook's koko checkpoint (``webhook:<id>``: the last position it has received).
- ``signing``: the body and the ``Koko-Signature`` header.
- ``targets``: which URLs a webhook may have (http(s), not the API itself).
- ``relay``: ``relay_once(store, now)``, one round of deliveries; ``manage.py relay_webhooks`` runs it in a loop, the
  API's workers (``bookstore.workers``) on their schedule.

The webhooks themselves and every delivery attempt live in Django's database (``bookstore.models.Webhook``,
``Delivery``); the events and the checkpoints in koko.
"""

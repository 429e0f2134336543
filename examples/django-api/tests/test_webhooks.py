"""Webhooks: the endpoints (staff only, the secret shown once, bad input naming its field) and the relay
(``relay_once``) against a real receiver on 127.0.0.1 that checks every signature: down, failing, hanging, then up —
every event arrives, in position order; the retry window ends in the dead letter, a manual retry delivers it; two
relays at once deliver each event once."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path

import pytest
from django.db import connection

from bookstore.models import Delivery, Webhook
from bookstore.webhooks import signing
from bookstore.webhooks.relay import backoff, relay_once

from .webhook_receiver import Receiver, assert_in_order_without_loss, verify_webhook

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "rest-api-reference.md"
TOOL = Path(__file__).resolve().parents[1] / "tools" / "verify_webhook.py"


@pytest.fixture(autouse=True)
def _quick(settings):
    settings.KOKO_WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.KOKO_WEBHOOK_BACKOFF_SECONDS = 10
    settings.KOKO_WEBHOOK_BACKOFF_MAX_SECONDS = 3600
    settings.KOKO_WEBHOOK_RETRY_HOURS = 24


@pytest.fixture
def receiver():
    made = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.down()


def create(api, url: str, events=None) -> dict:
    body = {"url": url} if events is None else {"url": url, "events": events}
    answer = api.post("/webhooks/", body)
    assert answer.status_code == 201, answer.raw
    return answer.data


def positions_after(store, after: int, types=None) -> list:
    return [e.position for e in store.events(after=after, limit=1000) if not types or e.type in types]


# --- the endpoints -------------------------------------------------------------------------------------------------


@pytest.mark.paginated
def test_create_list_read_delete_and_the_secret_shown_once(api, store):
    api.book()
    made = create(api, "https://hooks.example.com/koko", ["rental.opened", "rental.closed", "rental.opened"])
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["events"] == ["rental.opened", "rental.closed"]  # repeats dropped
    assert (made["state"], made["failure"], made["attempts"]) == ("active", None, 0)
    # Its koko checkpoint starts at the feed's end: it receives what is written from now on.
    assert store.checkpoint(f"webhook:{made['id']}") == store.events(limit=1000)[-1].position
    read = api.get(f"/webhooks/{made['id']}/")
    assert read.status_code == 200 and "secret" not in read.data and made["secret"] not in read.raw
    listed = api.get("/webhooks/")
    assert [w["id"] for w in listed.data["results"]] == [made["id"]] and made["secret"] not in listed.raw
    again = api.get(f"/webhooks/{made['id']}/secret/")
    assert again.status_code == 410 and "shown once" in again.data["secret"][0]
    rotated = api.post(f"/webhooks/{made['id']}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.data["secret"] not in (made["secret"], None)
    assert Webhook.objects.get(pk=made["id"]).secret == rotated.data["secret"]
    assert api.get(f"/webhooks/{made['id']}/").data == read.data
    assert api.delete(f"/webhooks/{made['id']}/").status_code == 204
    assert api.get(f"/webhooks/{made['id']}/").status_code == 404
    assert api.delete(f"/webhooks/{made['id']}/").status_code == 404
    # Its koko checkpoint is gone with it: it holds back no pruning.
    assert store.checkpoint(f"webhook:{made['id']}") is None
    assert f"webhook:{made['id']}" not in store.checkpoints()
    store.prune_events(before=store.last_event_position() + 1)


def test_empty_or_left_out_events_mean_every_type(api):
    assert create(api, "https://hooks.example.com/a")["events"] == []
    assert create(api, "https://hooks.example.com/b", [])["events"] == []


@pytest.mark.parametrize("body, field", [
    ({"url": "https://hooks.example.com/x", "events": ["rental.exploded"]}, "events"),
    ({"url": "https://hooks.example.com/x", "events": ["rental.opened", ""]}, "events"),
    ({"url": "https://hooks.example.com/x", "events": "rental.opened"}, "events"),
    ({"url": "ftp://hooks.example.com/x"}, "url"),
    ({"url": "not a url"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({}, "url"),
    ({"url": "http://testserver.example/x"}, "url"),  # the API itself: the request's host and port
    ({"url": "http://localhost/hook"}, "url"),  # a loopback name at the server's own port (80 here)
    ({"url": "http://127.0.0.1:80/hook"}, "url"),
    ({"url": "http://[::1]/hook"}, "url"),
])
def test_bad_input_is_a_400_naming_the_field(api, settings, body, field):
    settings.ALLOWED_HOSTS = ["testserver.example"]
    answer = api.post("/webhooks/", body, headers={"Host": "testserver.example"})
    assert answer.status_code == 400, answer.raw
    assert list(answer.data) == [field], answer.data
    assert not Webhook.objects.exists()


def test_another_port_on_this_machine_is_another_service(api):
    assert create(api, "http://127.0.0.1:8001/hook")["url"] == "http://127.0.0.1:8001/hook"


def test_the_live_server_refuses_its_own_address(live_server, staff_token):
    import urllib.error
    import urllib.request

    port = live_server.url.rsplit(":", 1)[1]
    for url in (f"{live_server.url}/hook", f"http://localhost:{port}/", f"http://127.0.0.1:{port}/webhooks/"):
        request = urllib.request.Request(live_server.url + "/webhooks/", data=json.dumps({"url": url}).encode(),
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Token {staff_token}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
        assert "the API itself" in json.loads(refused.value.read())["url"][0]


def test_staff_only(api, anonymous, as_customer):
    ada = api.customer()
    made = create(api, "https://hooks.example.com/x")
    customer = as_customer(ada["id"])
    for client, status in ((anonymous, 401), (customer, 403)):
        assert client.get("/webhooks/").status_code == status
        assert client.post("/webhooks/", {"url": "https://hooks.example.com/y"}).status_code == status
        assert client.get(f"/webhooks/{made['id']}/").status_code == status
        assert client.post(f"/webhooks/{made['id']}/rotate-secret/").status_code == status
        assert client.get(f"/webhooks/{made['id']}/deliveries/").status_code == status


def test_pause_resume_and_retry_states(api):
    made = create(api, "https://hooks.example.com/x")
    pk = made["id"]
    assert api.post(f"/webhooks/{pk}/pause/").data["state"] == "paused"
    assert api.post(f"/webhooks/{pk}/retry/").status_code == 409  # resume a paused one
    assert api.post(f"/webhooks/{pk}/resume/").data["state"] == "active"
    Webhook.objects.filter(pk=pk).update(state="failed", failure="evt_… undelivered")
    refused = api.post(f"/webhooks/{pk}/resume/")
    assert refused.status_code == 409 and "retry" in refused.data["state"][0]
    retried = api.post(f"/webhooks/{pk}/retry/")
    assert (retried.data["state"], retried.data["failure"]) == ("active", None)
    assert api.post("/webhooks/999/pause/").status_code == 404


# --- the relay -----------------------------------------------------------------------------------------------------


def test_the_body_and_headers_of_a_delivery(api, store, receiver):
    hook = receiver()
    made = create(api, hook.url, ["book.added"])
    hook.secret = made["secret"]
    hook.up("ok")
    api.customer()  # not of its types: passed over
    api.book(title="Dune")
    assert relay_once(store) == 1
    [got] = hook.received
    event = store.events(after=0, limit=1000)[-1]
    assert got == {"id": event.id, "position": event.position, "mode": "ok", "header_id": event.id,
                   "content_type": "application/json", "signed": True}
    body = hook.accepted[0]
    assert set(body) == {"id", "type", "position", "at", "data"}
    assert (body["type"], body["data"]["book"]["title"]) == ("book.added", "Dune")
    assert json.loads(signing.body(event)) == body and body["at"].endswith("Z")
    assert body["data"] == event.data  # koko's payload as the store keeps it
    # The checkpoint passed both events; the attempt is logged.
    assert store.checkpoint(f"webhook:{made['id']}") == event.position
    [delivery] = api.get(f"/webhooks/{made['id']}/deliveries/").data
    assert (delivery["state"], delivery["status_code"], delivery["response"], delivery["attempt"]) == (
        "delivered", 200, "thanks", 1)
    assert relay_once(store) == 0 and len(hook.received) == 1


class CountingStore:
    """A koko store that counts the events its ``events`` calls answer: the work the relay does."""

    def __init__(self, store):
        self.store, self.events_read = store, 0

    def events(self, *args, **kwargs):
        page = self.store.events(*args, **kwargs)
        self.events_read += len(page)
        return page

    def __getattr__(self, name):
        return getattr(self.store, name)


@pytest.mark.parametrize("unrelated", [10, 1000])
def test_a_round_reads_only_the_events_of_the_webhooks_types(api, store, receiver, unrelated):
    """The relay's reads do not grow with the events of other types: beside 10 or 1,000 customers registered, a
    webhook on book.added reads the one book's event (and one more to see that news arrived), and its checkpoint
    passes the others unread, so they hold back no prune."""
    hook = receiver()
    made = create(api, hook.url, ["book.added"])
    hook.secret = made["secret"]
    hook.up("ok")
    for n in range(unrelated):
        store.register_customer(first_name=f"U{n}", last_name="Reader")
    api.book(title="Dune")
    for n in range(unrelated):
        store.register_customer(first_name=f"V{n}", last_name="Reader")
    counting = CountingStore(store)
    assert relay_once(counting) == 1
    assert counting.events_read == 2  # "is there news?" (one event), then the page of its types
    assert [body["type"] for body in hook.accepted] == ["book.added"]
    assert store.checkpoint(f"webhook:{made['id']}") == store.last_event_position()
    counting.events_read = 0
    assert relay_once(counting) == 0 and counting.events_read == 0  # nothing new: one empty read


def test_down_then_500_then_hanging_then_up_delivers_everything_in_order(api, store, receiver):
    hook = receiver()  # not listening yet: its port refuses connections
    made = create(api, hook.url)
    hook.secret = made["secret"]
    start = store.checkpoint(f"webhook:{made['id']}")
    for n in range(3):
        api.book(title=f"Book {n}")
    ada = api.customer()

    assert relay_once(store, T0) == 0
    first = Delivery.objects.get()
    assert (first.state, first.attempt, first.status_code) == ("pending", 1, None)
    assert "Connection" in first.error and first.next_attempt_at == T0 + dt.timedelta(seconds=10)
    assert relay_once(store, T0 + dt.timedelta(seconds=5)) == 0  # backing off: no attempt
    assert Delivery.objects.count() == 1

    hook.up("error")
    assert relay_once(store, T0 + dt.timedelta(seconds=10)) == 0
    second = Delivery.objects.latest("id")
    assert (second.attempt, second.status_code, second.error, second.response) == (2, 500, "HTTP 500", "boom")
    assert second.next_attempt_at == T0 + dt.timedelta(seconds=30)  # 10 s, then 20 s

    hook.up("hang")
    assert relay_once(store, T0 + dt.timedelta(seconds=30)) == 0
    third = Delivery.objects.latest("id")
    assert (third.attempt, third.status_code, third.error) == (3, None, "no answer within 0.5 s")
    assert third.next_attempt_at == T0 + dt.timedelta(seconds=70)

    api.rent(ada["id"], 1)  # more events meanwhile
    hook.up("ok")
    delivered = relay_once(store, T0 + dt.timedelta(seconds=70))
    expected = positions_after(store, start)
    assert delivered == len(expected) == 5  # three books, a customer, a rental
    assert hook.bad_signatures == 0 and all(r["signed"] for r in hook.received)
    assert_in_order_without_loss(hook.accepted, expected)
    # Every attempt was at the first event until it went through: never a later one first.
    assert [r["position"] for r in hook.received[:3]] == [expected[0]] * 3
    webhook = api.get(f"/webhooks/{made['id']}/").data
    assert (webhook["state"], webhook["attempts"], webhook["failing_event"], webhook["next_attempt_at"]) == (
        "active", 0, None, None)
    deliveries = api.get(f"/webhooks/{made['id']}/deliveries/").data
    assert [d["state"] for d in deliveries][-4:] == ["delivered", "pending", "pending", "pending"]  # newest first
    assert [d["attempt"] for d in deliveries][-4:] == [4, 3, 2, 1]


def test_the_retry_window_ends_in_the_dead_letter_and_a_manual_retry_delivers_it(api, store, receiver):
    hook = receiver()
    made = create(api, hook.url, ["book.added"])
    hook.secret = made["secret"]
    start = store.checkpoint(f"webhook:{made['id']}")
    api.book(title="Emma")
    assert relay_once(store, T0) == 0
    attempts, at = 1, T0
    while True:  # the backoff doubles up to an hour
        at = Webhook.objects.get().next_attempt_at
        if at is None:
            break
        relay_once(store, at)
        attempts += 1
    webhook = Webhook.objects.get()
    assert webhook.state == "failed" and attempts == Delivery.objects.count()
    # 10 s · 2^k up to 3600 s: 9 attempts reach the cap (~1.4 h), then one an hour until 24 h have passed.
    assert 25 <= attempts <= 35
    last = Delivery.objects.latest("id")
    assert last.state == "failed" and last.attempted_at - T0 >= dt.timedelta(hours=24)
    first_event = store.events(after=start, limit=1)[0]
    assert webhook.failure.startswith(f"{first_event.id} (book.added) undelivered after {attempts} attempts")
    assert api.get(f"/webhooks/{made['id']}/").data["failure"] == webhook.failure

    api.book(title="Persuasion")
    hook.up("ok")
    assert relay_once(store, T0 + dt.timedelta(hours=30)) == 0  # failed: nothing is sent
    assert hook.received == []
    retried = api.post(f"/webhooks/{made['id']}/retry/")
    assert retried.data["state"] == "active"
    assert relay_once(store, T0 + dt.timedelta(hours=30)) == 2
    assert_in_order_without_loss(hook.accepted, positions_after(store, start, {"book.added"}))
    assert hook.accepted[0]["id"] == first_event.id


def test_backoff_doubles_from_the_first_and_stops_at_the_cap(settings):
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 9, 10, 500)] == [10, 20, 40, 2560, 3600, 3600]


def test_paused_webhooks_get_nothing_until_resumed(api, store, receiver):
    hook = receiver().up("ok")
    made = create(api, hook.url)
    hook.secret = made["secret"]
    api.post(f"/webhooks/{made['id']}/pause/")
    api.book()
    assert relay_once(store) == 0 and hook.received == []
    api.post(f"/webhooks/{made['id']}/resume/")
    assert relay_once(store) == 1 and len(hook.accepted) == 1


@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_deliver_each_event_once(api, store, receiver):
    hook = receiver().up("ok")
    made = create(api, hook.url)
    hook.secret = made["secret"]
    start = store.checkpoint(f"webhook:{made['id']}")
    for n in range(30):
        api.book(title=f"Book {n}")
    barrier = threading.Barrier(3)
    totals = []

    def relay():
        try:
            barrier.wait()
            for _ in range(3):
                totals.append(relay_once(store))
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    expected = positions_after(store, start)
    assert sum(totals) == len(expected) == 30
    assert [e["position"] for e in hook.accepted] == expected  # each once, in order
    assert Delivery.objects.count() == 30 and not Webhook.objects.get().leased_by


def test_a_lease_another_relay_holds_is_skipped_until_it_expires(api, store, receiver):
    hook = receiver().up("ok")
    made = create(api, hook.url)
    hook.secret = made["secret"]
    api.book()
    from django.utils import timezone

    Webhook.objects.update(leased_by="another", leased_until=timezone.now() + dt.timedelta(minutes=1))
    assert relay_once(store) == 0 and hook.received == []
    Webhook.objects.update(leased_until=timezone.now() - dt.timedelta(seconds=1))  # its holder died
    assert relay_once(store) == 1


# --- the verification recipe ---------------------------------------------------------------------------------------


def test_the_recipe_in_the_docs_is_the_tested_one():
    block = re.search(r"```python\n(?P<code>import hashlib\n.*?)```", DOCS.read_text(), re.S)
    assert block, "docs/rest-api-reference.md shows the recipe in a python block"
    assert block["code"] in TOOL.read_text()


def test_the_recipe_accepts_koko_signatures_and_refuses_the_rest():
    body = b'{"id":"evt_00000000000000000001"}'
    header = signing.signature("whsec_x", 1_900_000_000, body)
    assert verify_webhook("whsec_x", body, header, now=1_900_000_100)
    assert not verify_webhook("whsec_y", body, header, now=1_900_000_100)  # another secret
    assert not verify_webhook("whsec_x", body + b" ", header, now=1_900_000_100)  # another body
    assert not verify_webhook("whsec_x", body, header, now=1_900_000_400)  # too old: a replay
    assert not verify_webhook("whsec_x", body, header.replace("t=1900000000", "t=1900000300"), now=1_900_000_300)
    for broken in ("", "t=x,v1=00", "v1=00", "t=1900000000"):
        assert not verify_webhook("whsec_x", body, broken, now=1_900_000_000)



"""The cluster's load: customers of the book store through HAProxy (deploy/cluster.py runs it headless).

The mix, by requests: ~80 % browsing and search (anonymous catalogue reads), ~15 % rent and return (a customer's
token), ~5 % account and quotes. Half the rents aim at a few single-copy "hot" books, so customers race for the
same copy all the time (koko must give it to one of them).

Every request is written to ``KOKO_EVENTS`` (start time, latency ms, name, status — 0: no answer — and "hit" when
the catalogue cache answered) for
deploy/cluster.py's tables and fault windows. Every write the API acknowledged is appended at once to
``KOKO_ACKS`` (a JSON line: a rent's 201 with its rental id, a return's 200 with its charge) for deploy/verify.py.
A rent or return that got no clean answer is retried with the same ``Idempotency-Key``, as a careful client does:
a retry that finds the first attempt committed gets its answer, never a second rental.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import random
import time
import uuid

from locust import FastHttpUser, events, task

STATE = json.load(open(os.environ["KOKO_CLUSTER_STATE"]))
EVENTS = open(os.environ["KOKO_EVENTS"], "a", buffering=1 << 16)
ACKS = open(os.environ["KOKO_ACKS"], "a", buffering=1)  # line-buffered: each acknowledgement is written as seen
CUSTOMERS = itertools.cycle(STATE["customers"])
BOOKS = STATE["books"]
HOT = STATE["hot_books"]
WORDS = STATE["words"]
# A client gives up on a request after this long (HAProxy's own server timeout is longer).
TIMEOUT = float(os.environ.get("KOKO_CLIENT_TIMEOUT", "20"))
BACKOFF = 0.5


@events.request.add_listener
def record(request_type, name, response_time, response_length, response=None, exception=None, start_time=None,
           context=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    user = (context or {}).get("user")
    if user is not None and (status == 0 or status >= 500):
        user.backoff = True  # as a client does on 503 / no answer: wait a moment before the next request
    headers = getattr(response, "headers", None) or {}
    hit = "hit" if headers.get("X-Koko-Cache") == "hit" else ""  # answered by the catalogue cache
    EVENTS.write(f"{start_time or time.time():.4f}\t{response_time:.2f}\t{name}\t{status}\t{hit}\n")


@events.quitting.add_listener
def flush(**kwargs):
    EVENTS.flush()
    ACKS.flush()


def ack(**record):
    ACKS.write(json.dumps(record) + "\n")


def page_cursor(book_id: int) -> str:
    """The API's documented keyset cursor: the records after ``book_id``."""
    return base64.urlsafe_b64encode(f"a{book_id}".encode()).decode().rstrip("=")


class Customer(FastHttpUser):
    """No think time (the load is as high as the cluster answers), but after a failed request a customer waits
    ``BACKOFF`` seconds, as a client does after a 503 or no answer, instead of hammering a cluster that is down."""

    network_timeout = TIMEOUT
    connection_timeout = TIMEOUT
    backoff = False

    def wait_time(self):
        if self.backoff:
            self.backoff = False
            return BACKOFF
        return 0

    def context(self):
        return {"user": self}

    def on_start(self):
        me = next(CUSTOMERS)
        self.customer_id = me["id"]
        self.auth = {"Authorization": f"Token {me['token']}"}
        self.open_rentals: list[int] = []
        self.pending = None  # a write that got no clean answer: (kind, path, body, key), retried as it was

    # ~80 %: the catalogue, anonymously.
    @task(30)
    def browse(self):
        after = random.randint(0, max(BOOKS - 20, 0))
        path = "/books/?limit=20" + (f"&cursor={page_cursor(after)}" if after else "")
        self.client.get(path, name="/books/ (page)")

    @task(30)
    def search(self):
        word = random.choice(WORDS)
        self.client.get(f"/books/?search={word[:random.randint(3, len(word))]}&limit=20", name="/books/?search=")

    @task(20)
    def book(self):
        self.client.get(f"/books/{random.randint(1, BOOKS)}/", name="/books/<id>/")

    # ~15 %: rent and return, as the customer (the server's time).
    @task(15)
    def rent_or_return(self):
        if self.pending is not None:
            return self.write(*self.pending)
        if self.open_rentals and (len(self.open_rentals) >= 2 or random.random() < 0.5):
            rental = self.open_rentals.pop(random.randrange(len(self.open_rentals)))
            return self.write("close", f"/rentals/{rental}/close/", {}, uuid.uuid4().hex)
        book = random.choice(HOT) if random.random() < 0.5 else random.randint(1, BOOKS)
        return self.write("rent", f"/customers/{self.customer_id}/rentals/", {"book": book}, uuid.uuid4().hex)

    def write(self, kind, path, body, key):
        method = self.client.post if kind == "rent" else self.client.put
        name = "/customers/<id>/rentals/ (rent)" if kind == "rent" else "/rentals/<id>/close/"
        headers = {**self.auth, "Idempotency-Key": key}
        with method(path, json=body, headers=headers, name=name, catch_response=True) as response:
            status = response.status_code or 0
            self.pending = None
            if kind == "rent" and status == 201:
                rental = response.json()
                ack(op="rent", rental=rental["id"], book=rental["book"], customer=self.customer_id, t=time.time())
                self.open_rentals.append(rental["id"])
                response.success()
            elif kind == "close" and status == 200:
                rental = response.json()
                ack(op="close", rental=rental["id"], amount=rental["amount_charged"], t=time.time())
                response.success()
            elif kind == "rent" and status == 400:
                response.success()  # "Book is unavailable": someone else has the copy — an answer, not a failure
            elif kind == "close" and status == 409:
                response.success()  # already closed (cannot happen with keys; counted by verify.py if it did)
            elif status >= 500 or status == 0:
                self.pending = (kind, path, body, key)  # no clean answer: the same request again next time
                response.failure(f"{status}")
            else:
                response.failure(f"{status} {response.text[:200]}")

    # ~5 %: the customer's account and quotes.
    @task(3)
    def account(self):
        self.client.get(f"/customers/{self.customer_id}/account/", headers=self.auth,
                        name="/customers/<id>/account/")

    @task(2)
    def quote(self):
        if self.open_rentals:
            self.client.get(f"/rentals/{random.choice(self.open_rentals)}/quote/", headers=self.auth,
                            name="/rentals/<id>/quote/")
        else:
            self.client.get(f"/quotes/?book_type={random.choice('RFN')}&days={random.randint(1, 14)}",
                            name="/quotes/")

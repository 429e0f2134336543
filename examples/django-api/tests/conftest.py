"""Every test gets a fresh in-memory koko store, Django's test database, and a small JSON client that calls as staff
(a staff user's token) unless a test asks for another role (``as_customer``, ``anonymous``)."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any, Optional

import koko
import pytest
from django.test import Client

from bookstore import store as koko_store

UTC = dt.timezone.utc


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI (``CI=true``), a skipped test fails: the servers it needs (PostgreSQL, Redis) are the test command's
    to provide, and a skip there would hide a missing one."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where the test command provides what it needs: {reason}"


class Api:
    """django.test.Client speaking JSON; every call returns the response with ``.data`` parsed."""

    def __init__(self, client: Optional[Client] = None, token: Optional[str] = None) -> None:
        self.client = client or Client()
        self.token = token

    def as_token(self, token: Optional[str]) -> "Api":
        """Another client calling with ``token`` (None: anonymous)."""
        return Api(Client(), token)

    def _call(self, method: str, url: str, body: Any = None, headers: Optional[dict] = None):
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Token {self.token}")
        kwargs: dict = {"headers": headers} if headers else {}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(self.client, method)(url, **kwargs)
        raw = response.content.decode()
        response.raw = raw
        content_type = response.get("Content-Type", "")
        response.data = json.loads(raw) if raw and content_type.startswith("application/json") else None
        return response

    def get(self, url, headers=None):
        return self._call("get", url, headers=headers)

    def post(self, url, body=None, headers=None):
        return self._call("post", url, body if body is not None else {}, headers)

    def put(self, url, body=None, headers=None):
        return self._call("put", url, body if body is not None else {}, headers)

    def patch(self, url, body=None, headers=None):
        return self._call("patch", url, body if body is not None else {}, headers)

    def delete(self, url, headers=None):
        return self._call("delete", url, headers=headers)

    # shortcuts that assert the happy path
    def book(self, title="The Hobbit", author="J. R. R. Tolkien", book_type="N", **extra) -> dict:
        response = self.post("/books/", {"title": title, "author": author, "book_type": book_type, **extra})
        assert response.status_code == 201, response.raw
        return response.data

    def customer(self, first_name="Ada", last_name="Lovelace", **extra) -> dict:
        response = self.post("/customers/", {"first_name": first_name, "last_name": last_name, **extra})
        assert response.status_code == 201, response.raw
        return response.data

    def rent(self, customer_id: int, book_id: int, **extra) -> dict:
        response = self.post(f"/customers/{customer_id}/rentals/", {"book": book_id, **extra})
        assert response.status_code == 201, response.raw
        return response.data

    def close(self, rental_id: int, date_returned):
        if isinstance(date_returned, dt.datetime):
            date_returned = date_returned.isoformat()
        return self.put(f"/rentals/{rental_id}/close/", {"date_returned": date_returned})


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture(autouse=True)
def store():
    """A fresh BookStore.memory() (story 3) for each test; the process's store is put back afterwards."""
    fresh = koko.BookStore.memory(plan=koko.PricePlan.story3())
    previous = koko_store.use_store(fresh)
    yield fresh
    koko_store.use_store(previous)


@pytest.fixture(autouse=True)
def _plain_lists(request, settings):
    """The contract tests read the original's plain lists (``KOKO_API_PAGINATION=off``); a test marked
    ``paginated`` gets the default, keyset pages."""
    if request.node.get_closest_marker("paginated") is None:
        settings.KOKO_API_PAGINATION = False


@pytest.fixture(autouse=True)
def _database(db):
    """Users and tokens live in Django's database: every test may use it. The throttles count in the process's
    memory (koko is not on PostgreSQL here): each test starts with no count."""
    from django.core.cache import cache

    cache.clear()


def make_staff_token(username: str = "clerk") -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user(username=username, is_staff=True)
    return Token.objects.create(user=user).key


@pytest.fixture
def staff_token() -> str:
    return make_staff_token()


@pytest.fixture
def api(client, staff_token) -> Api:
    return Api(client, staff_token)


@pytest.fixture
def anonymous() -> Api:
    return Api(Client())


@pytest.fixture
def as_customer(api):
    """``as_customer(customer_id)``: a client logged in as that koko customer (a login made by the staff endpoint)."""

    def login(customer_id: int, username: Optional[str] = None) -> Api:
        response = api.post(f"/customers/{customer_id}/login/", {"username": username or f"customer{customer_id}"})
        assert response.status_code in (200, 201), response.raw
        return api.as_token(response.data["token"])

    return login

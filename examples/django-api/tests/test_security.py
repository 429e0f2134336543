"""An attacker's probe of the API, finding by finding (docs/deploying.md, "Production settings"): each test fails without its fix.

1. the throttles key on the connection's address, not on a client-written ``X-Forwarded-For``;
2. a ``previous`` page costs bounded koko work whatever its cursor;
3. failed logins are throttled per username and per address;
4. a malformed number (``²``) is a 400 naming its field, never a 500;
5. a JSON body nested 1,000 levels deep is a 400;
6. every answer forbids framing;
7. failed token authentications are throttled per address;
8. another customer's id and an unknown one answer alike;
9. a server refuses a weak secret key with ``DJANGO_DEBUG=0``;
10. idempotency keys are scoped per caller;
11. logging out redirects;
and ``manage.py check --deploy`` is clean with the production settings docs/deploying.md documents.
"""

from __future__ import annotations

import base64
import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import koko
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from bookstore import store as koko_store
from bookstore import throttling
from bookstore.limits import MAX_PAGE
from bookstore.records import READ_BEFORE_CALLS

from .conftest import Api

PROJECT = Path(__file__).resolve().parent.parent
REPOSITORY = PROJECT.parents[1]
LOOSE = "100000/minute"


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock (DRF's and ``bookstore.throttling``'s), set by the test: 40 s into a minute."""
    now = {"t": 1_700_000_020.0}
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: now["t"])
    monkeypatch.setattr(throttling, "now", lambda: now["t"])
    return now


@pytest.fixture
def rates(monkeypatch):
    """``rates(anon="2/minute", …)``: the throttles' rates for this test (every other rate loose)."""

    def set_rates(**given):
        loose = {"anon": LOOSE, "user": LOOSE, "login": LOOSE, "bad_token": LOOSE}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**loose, **given})

    return set_rates


def from_address(address: str, token: str | None = None) -> Api:
    """A client whose connection comes from ``address``."""
    return Api(Client(REMOTE_ADDR=address), token)


def run_settings(monkeypatch, **env) -> dict:
    """kokoapi/settings.py run with ``env`` (and DJANGO_DEBUG=1, no KOKO_API_TRUSTED_PROXIES, no KOKO_API_HTTPS)."""
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.delenv("KOKO_API_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("KOKO_API_HTTPS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(PROJECT / "kokoapi" / "settings.py"))


# --- 1. the throttles key on the real peer -------------------------------------------------------------------------


def test_a_new_x_forwarded_for_per_request_is_not_a_new_throttle_bucket(anonymous, rates, clock):
    rates(anon="2/minute")
    statuses = [anonymous.get("/books/", headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(4)]
    assert statuses == [200, 200, 429, 429]


def test_behind_one_trusted_proxy_the_throttle_keys_on_the_address_it_appended(anonymous, rates, clock, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rates(anon="1/minute")
    assert anonymous.get("/books/", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    # The same client writing its own X-Forwarded-For: the proxy appended the real address last.
    spoofed = anonymous.get("/books/", headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7"})
    assert spoofed.status_code == 429
    assert anonymous.get("/books/", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200


def test_trusted_proxies_come_from_the_environment(monkeypatch):
    assert run_settings(monkeypatch)["REST_FRAMEWORK"]["NUM_PROXIES"] == 0
    assert run_settings(monkeypatch, KOKO_API_TRUSTED_PROXIES="1")["REST_FRAMEWORK"]["NUM_PROXIES"] == 1
    with pytest.raises(ImproperlyConfigured, match="KOKO_API_TRUSTED_PROXIES"):
        run_settings(monkeypatch, KOKO_API_TRUSTED_PROXIES="one")


def test_the_cluster_trusts_its_one_haproxy():
    """deploy/: HAProxy appends the client's address (option forwardfor) and the app servers trust one proxy."""
    haproxy = (REPOSITORY / "deploy" / "haproxy.cfg.in").read_text()
    assert "option forwardfor" in haproxy
    assert '"KOKO_API_TRUSTED_PROXIES": "1"' in (REPOSITORY / "deploy" / "cluster_servers.py").read_text()


# --- 2. bounded work per list request, whatever the cursor ---------------------------------------------------------


class CountingStore:
    """The store, counting the calls of koko's listings and the records they answered."""

    LISTINGS = {"books", "search_books", "customers", "search_customers", "rentals"}

    def __init__(self, store: koko.BookStore) -> None:
        self._store = store
        self.calls = self.records = 0

    def __getattr__(self, name: str):
        found = getattr(self._store, name)
        if name not in self.LISTINGS:
            return found

        def counted(*args, **kwargs):
            answer = found(*args, **kwargs)
            self.calls += 1
            self.records += len(answer)
            return answer

        return counted

    def cost(self) -> tuple:
        spent = (self.calls, self.records)
        self.calls = self.records = 0
        return spent


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def add_books(store, titles) -> None:
    batch = koko.Batch()
    for title in titles:
        batch.add_book(title=title, author="Anon", category="regular")
    assert not any(isinstance(made, koko.KokoError) for made in store.apply_batch(batch))


@pytest.fixture
def counting(store):
    counted = CountingStore(store)
    koko_store.use_store(counted)  # conftest's store fixture puts the process's store back
    return counted


@pytest.mark.paginated
def test_a_previous_cursor_past_the_last_id_costs_what_a_page_costs(anonymous, store, counting):
    add_books(store, [f"Book {n:05d}" for n in range(3000)])
    normal = anonymous.get(f"/books/?limit=1&cursor={cursor('b3000')}")
    assert [book["id"] for book in normal.data["results"]] == [2999]
    page_calls, _ = counting.cost()
    beyond = anonymous.get(f"/books/?limit=1&cursor={cursor('b18446744073709551615')}")
    calls, records = counting.cost()
    assert (calls, records) == (page_calls, 0) and page_calls == 1  # one koko call, as for a page, reading nothing
    # Past the end of the list: an empty page without links (documented in docs/rest-api.md, "Pages").
    assert beyond.status_code == 200 and beyond.data == {"next": None, "previous": None, "results": []}


def relative(url: str) -> str:
    return f"{urlsplit(url).path}?{urlsplit(url).query}"


@pytest.mark.paginated
def test_a_previous_page_of_a_sparse_search_reads_a_bounded_number_of_records(anonymous, store, counting):
    add_books(store, ["Dune"] + [f"Book {n:05d}" for n in range(5000)] + ["Dune Messiah"])  # "dune": 1 and 5002
    first = anonymous.get("/books/?search=dune&limit=1")
    second = anonymous.get(relative(first.data["next"]))
    assert [book["id"] for book in second.data["results"]] == [5002]
    counting.cost()
    url, pages = relative(second.data["previous"]), []
    while url:  # walking back over 5,000 books that do not match
        response = anonymous.get(url)
        assert response.status_code == 200, response.raw
        calls, records = counting.cost()
        assert calls <= READ_BEFORE_CALLS and records <= READ_BEFORE_CALLS * MAX_PAGE
        pages.append([book["id"] for book in response.data["results"]])
        url = response.data["previous"] and relative(response.data["previous"])
    assert pages == [[], [1]]  # a page the budget ran out on is empty, and its previous link goes on


# --- 3. login attempts throttled -----------------------------------------------------------------------------------


@pytest.fixture
def clerk(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # quick: many logins here
    get_user_model().objects.create_user(username="clerk2", password="right-password", is_staff=True)
    return "clerk2"


def log_in(client: Client, username: str, password: str):
    return client.post("/api-auth/login/", {"username": username, "password": password, "next": "/"})


def logged_in(client: Client) -> bool:
    return client.get("/customers/").status_code == 200


def test_thirty_wrong_passwords_then_the_right_one_is_refused(clerk):
    client = Client()
    statuses = [log_in(client, clerk, f"wrong-{n}").status_code for n in range(30)]
    assert statuses == [200] * 10 + [429] * 20  # the form's error, then refused unchecked (10 an hour by default)
    right = log_in(client, clerk, "right-password")
    assert right.status_code == 429 and int(right["Retry-After"]) > 0
    assert b"Too many failed logins" in right.content
    assert not logged_in(client)


def test_failed_logins_are_counted_per_username_from_any_address(clerk, rates, clock):
    rates(login="3/hour")
    for n in range(3):
        assert log_in(Client(REMOTE_ADDR=f"198.51.100.{n}"), clerk, "wrong").status_code == 200
    elsewhere = Client(REMOTE_ADDR="198.51.100.99")
    assert log_in(elsewhere, clerk, "right-password").status_code == 429
    assert not logged_in(elsewhere)
    clock["t"] += 3600  # the next window
    assert log_in(elsewhere, clerk, "right-password").status_code == 302 and logged_in(elsewhere)


def test_failed_logins_are_counted_per_address_for_any_username(clerk, rates, clock):
    rates(login="3/hour")
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for name in ("root", "admin", "staff"):
        assert log_in(attacker, name, "guess").status_code == 200
    assert log_in(attacker, clerk, "right-password").status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.1")
    assert log_in(other, clerk, "right-password").status_code == 302 and logged_in(other)


# --- 4. malformed numbers are 400s naming the field ----------------------------------------------------------------


SUPERSCRIPT_TWO = quote("²")


@pytest.mark.paginated
def test_non_ascii_digits_in_a_list_limit_are_400_naming_limit(api, anonymous):
    ada = api.customer()
    for client, path in ((anonymous, f"/books/?limit={SUPERSCRIPT_TWO}"),
                         (api, f"/customers/{ada['id']}/holds/?limit={SUPERSCRIPT_TWO}"),
                         (anonymous, "/books/?limit=" + "9" * 5000)):
        response = client.get(path)
        assert (response.status_code, list(response.data)) == (400, ["limit"]), (path, response.raw)


@pytest.mark.paginated
def test_non_ascii_digits_in_a_customers_rental_filter_are_400_naming_customer(api, as_customer):
    ada = as_customer(api.customer()["id"])
    for value in (SUPERSCRIPT_TWO, quote("٣"), "1_0"):
        response = ada.get(f"/rentals/?customer={value}")
        assert (response.status_code, list(response.data)) == (400, ["customer"]), (value, response.raw)


def test_non_ascii_digits_in_bodies_and_queries_are_400_naming_the_field(api):
    book, ada = api.book(copies=2), api.customer()
    for method, path, body, field in (
        ("post", f"/customers/{ada['id']}/rentals/", {"book": "٣"}, "book"),
        ("post", f"/customers/{ada['id']}/rentals/", {"book": "²"}, "book"),
        ("post", "/holds/", {"customer_id": "１", "book_id": book["id"]}, "customer_id"),
        ("post", f"/books/{book['id']}/copies/", {"count": "1_0"}, "count"),
        ("get", f"/quotes/?book_type=N&days={quote('٣')}", None, "days"),
    ):
        response = api.get(path) if method == "get" else api.post(path, body)
        assert (response.status_code, list(response.data)) == (400, [field]), (path, body, response.raw)


def test_a_time_out_of_range_once_in_utc_is_400_naming_the_field(api):
    """Not a number, but parsed with them: an offset that moves a time past year 1 or 9999 was an OverflowError."""
    book, ada = api.book(), api.customer()
    early, late = quote("0001-01-01T00:00:00+01:00"), quote("9999-12-31T23:59:59-05:00")
    for path, field in ((f"/reports/overdue/?at={early}", "at"),
                        (f"/quotes/?book_type=N&rented_at={late}&returned_at={late}", "rented_at")):
        response = api.get(path)
        assert response.status_code == 400 and field in response.data, (path, response.raw)
    body = {"book": book["id"], "date_rented": "0001-01-01T00:00:00+01:00"}
    response = api.post(f"/customers/{ada['id']}/rentals/", body)
    assert (response.status_code, list(response.data)) == (400, ["date_rented"]), response.raw


# --- 5. deep JSON --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [40, 1000, 100_000])
def test_a_json_body_nested_too_deep_is_400(api, store, levels):
    body = "[" * levels + "]" * levels
    response = api.client.post("/books/", body, content_type="application/json",
                               headers={"Authorization": f"Token {api.token}"})
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("JSON parse error")
    assert store.books() == []


def test_a_price_plan_nests_well_within_the_limit(api):
    from bookstore.parsers import MAX_DEPTH, depth

    plan = api.get("/plan/").data
    assert depth(plan) < MAX_DEPTH // 4


# --- 6. no framing -------------------------------------------------------------------------------------------------


def test_every_answer_forbids_framing(anonymous, api):
    docs = anonymous.client.get("/")
    static = next(part for part in docs.content.decode().split('"') if "swagger-ui-bundle.js" in part)
    answers = [anonymous.client.get(path) for path in ("/", "/redoc/", "/api-auth/login/", "/schema/", "/books/",
                                                       "/no/such/page/", "/health/", "/customers/", static)]
    answers.append(api.post("/books/", {"title": "T"}))  # a 400
    for response in answers:
        assert response["X-Frame-Options"] == "DENY", response
        assert response["Content-Security-Policy"] == "frame-ancestors 'none'", response


def test_a_policy_an_answer_carries_keeps_its_directives():
    from django.http import HttpResponse

    from kokoapi.security import FrameAncestorsNoneMiddleware

    def page(request):
        response = HttpResponse("")
        response["Content-Security-Policy"] = "script-src 'self';"
        return response

    answer = FrameAncestorsNoneMiddleware(page)(None)
    assert answer["Content-Security-Policy"] == "script-src 'self'; frame-ancestors 'none'"


# --- 7. failed token authentications throttled ---------------------------------------------------------------------


def test_failed_token_authentications_are_throttled_per_address(api, rates, clock):
    rates(bad_token="3/minute")
    guesser = api.as_token("0" * 40)
    assert [guesser.get("/books/").status_code for _ in range(4)] == [401, 401, 401, 429]
    assert guesser.get("/books/").data["detail"].startswith("Too many failed token authentications")
    # From that address every token now waits, unchecked, until the window ends (Retry-After: 20 s here) …
    refused = api.get("/books/")
    assert refused.status_code == 429 and refused["Retry-After"] == "20"
    # … while other addresses are not affected.
    assert from_address("198.51.100.3", api.token).get("/books/").status_code == 200
    clock["t"] += 20
    assert api.get("/books/").status_code == 200


def test_a_valid_token_is_not_counted(api, rates, clock):
    rates(bad_token="1/minute")
    assert [api.get("/books/").status_code for _ in range(3)] == [200, 200, 200]


# --- 8. "not yours" and "none" answer alike ------------------------------------------------------------------------


@pytest.fixture
def two_customers(api, as_customer):
    book = api.book(title="Dune", book_type="F", copies=2)
    ada, bob = api.customer(first_name="Ada")["id"], api.customer(first_name="Bob")["id"]
    rental = api.rent(bob, book["id"])["id"]
    hold = api.post("/holds/", {"customer_id": bob, "book_id": api.book(title="Emma")["id"]}).data["id"]
    return {"as_ada": as_customer(ada), "rental": rental, "hold": hold}


@pytest.mark.parametrize("method, path", [
    ("get", "/rentals/{rental}/"), ("get", "/rentals/{rental}/quote/"), ("put", "/rentals/{rental}/close/"),
    ("post", "/rentals/{rental}/renew/"), ("get", "/holds/{hold}/"), ("post", "/holds/{hold}/cancel/"),
])
def test_another_customers_id_and_an_unknown_one_answer_alike(two_customers, method, path):
    ada = two_customers["as_ada"]
    others = getattr(ada, method)(path.format(**two_customers))
    unknown = getattr(ada, method)(path.format(rental=999, hold=999))
    assert (others.status_code, others.raw) == (unknown.status_code, unknown.raw) == (404, '{"detail":"Not found."}')


def test_staff_still_read_which_id_is_unknown(api):
    assert api.get("/rentals/999/").data == {"detail": "rental 999 not found"}


# --- 9. weak secret keys refused -----------------------------------------------------------------------------------


def server_env(tmp_path, **env) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "kokoapi.settings", "KOKO_STORE": "memory",
            "KOKO_API_DATABASE": f"sqlite:///{tmp_path}/api.sqlite3", "DJANGO_DEBUG": "0", **env}


@pytest.mark.parametrize("key", ["", " ", "x" * 60, secrets.token_urlsafe(20)],
                         ids=["empty", "blank", "one-character", "27-characters"])
def test_a_server_refuses_a_weak_secret_key_with_debug_off(tmp_path, key):
    env = server_env(tmp_path, DJANGO_SECRET_KEY=key)
    wsgi = subprocess.run([sys.executable, "-c", "import kokoapi.wsgi"], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert wsgi.returncode != 0
    last = wsgi.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is"), wsgi.stderr
    gunicorn = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=PROJECT,
                              env={**env, "KOKO_API_BIND": "127.0.0.1:0"}, capture_output=True, text=True, timeout=60)
    assert gunicorn.returncode != 0
    last = gunicorn.stderr.strip().splitlines()[-1]
    assert last.startswith("gunicorn.conf.py: DJANGO_SECRET_KEY is"), gunicorn.stderr


def test_a_server_starts_with_a_strong_key_or_in_debug(tmp_path):
    for key, debug in ((secrets.token_urlsafe(50), "0"), (" ", "1")):
        env = server_env(tmp_path, DJANGO_SECRET_KEY=key, DJANGO_DEBUG=debug)
        wsgi = subprocess.run([sys.executable, "-c", "import kokoapi.wsgi"], cwd=PROJECT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert wsgi.returncode == 0, wsgi.stderr


def test_the_secret_key_rule_is_djangos_own():
    from django.core.checks.security import base

    from kokoapi import env

    assert env.SECRET_KEY_MIN_LENGTH == base.SECRET_KEY_MIN_LENGTH
    assert env.SECRET_KEY_MIN_UNIQUE_CHARACTERS == base.SECRET_KEY_MIN_UNIQUE_CHARACTERS


# --- 10. idempotency keys scoped per caller ------------------------------------------------------------------------


def test_idempotency_keys_are_scoped_per_caller(api, as_customer, store):
    book = api.book(copies=3)["id"]
    ada, bob = api.customer(first_name="Ada")["id"], api.customer(first_name="Bob")["id"]
    as_ada, as_bob = as_customer(ada), as_customer(bob)
    key = {"Idempotency-Key": "rent-1"}
    assert as_bob.post(f"/customers/{bob}/rentals/", {"book": book}, headers=key).status_code == 201
    first = as_ada.post(f"/customers/{ada}/rentals/", {"book": book}, headers=key)
    assert first.status_code == 201, first.raw  # not Bob's key: Ada's own first use
    replay = as_ada.post(f"/customers/{ada}/rentals/", {"book": book}, headers=key)
    assert (replay.status_code, replay.data) == (201, first.data)  # the same caller's retry: the first answer
    assert store.available_copies(book) == 1
    staff = api.post("/customers/", {"first_name": "Cy", "last_name": "Young"}, headers=key)
    assert staff.status_code == 201, staff.raw  # staff keys are the store's, apart from customers'


# --- 11. logout ----------------------------------------------------------------------------------------------------


def test_logging_out_ends_the_session_and_redirects_to_the_docs(clerk):
    client = Client()
    assert log_in(client, clerk, "right-password").status_code == 302 and logged_in(client)
    response = client.post("/api-auth/logout/")
    assert (response.status_code, response["Location"]) == (302, "/")
    assert not logged_in(client)


# --- check --deploy ------------------------------------------------------------------------------------------------


PRODUCTION = {  # docs/deploying.md, "Production settings"
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "books.example.org",
    "KOKO_API_HTTPS": "1",
    "KOKO_API_TRUSTED_PROXIES": "1",
}


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    env = {**server_env(tmp_path), **PRODUCTION}
    for name in ("KOKO_API_AUTH", "KOKO_API_SECURE_COOKIES", "KOKO_API_HSTS_SECONDS"):
        env.pop(name, None)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (2 silenced)." in result.stdout


def test_https_settings_redirect_but_let_the_load_balancer_check_health(monkeypatch):
    on = run_settings(monkeypatch, KOKO_API_HTTPS="1", KOKO_API_TRUSTED_PROXIES="1")
    assert on["SECURE_SSL_REDIRECT"] and on["SESSION_COOKIE_SECURE"] and on["CSRF_COOKIE_SECURE"]
    assert on["SECURE_HSTS_SECONDS"] == 31_536_000 and on["SECURE_REDIRECT_EXEMPT"] == [r"^health/$"]
    assert on["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    off = run_settings(monkeypatch, KOKO_API_HTTPS="0", KOKO_API_TRUSTED_PROXIES="0")
    assert "SECURE_SSL_REDIRECT" not in off and not off["SESSION_COOKIE_SECURE"]

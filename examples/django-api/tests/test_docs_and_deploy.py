"""The docs (a valid OpenAPI schema, Swagger UI and Redoc served offline) and running it for real: logging, the
secret key, throttling, CORS, KOKO_API_AUTH=none."""

import io
import json
import logging
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import koko
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import get_resolver
from openapi_spec_validator import validate
from rest_framework.throttling import SimpleRateThrottle

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def schema(anonymous) -> dict:
    response = anonymous.get("/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.raw)


def test_the_schema_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def _api_routes():
    def walk(patterns, prefix=""):
        for p in patterns:
            route = prefix + str(p.pattern)
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, route)
            else:
                yield route

    for route in walk(get_resolver().url_patterns):
        if not route.startswith(("api-auth/", "schema/", "redoc/")) and route:
            yield "/" + re.sub(r"<id:(\w+)>", "{id}", route)


def test_every_endpoint_is_documented_with_answers_errors_and_examples(schema):
    assert sorted(schema["paths"]) == sorted(_api_routes())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            responses = operation["responses"]
            if path == "/webhooks/{id}/secret/":  # never answers the secret again: a 410 by design
                assert {"401", "403", "404", "410"} <= set(responses), where
                continue
            success = [code for code in responses if code.startswith("2")]
            assert success, where
            assert any("examples" in body for code in success for body in responses[code].get("content", {}).values()
                       ) or method == "delete", where
            if path != "/health/":
                assert {"401", "403", "429", "503"} <= set(responses), where
            if "{" in path:
                assert "404" in responses, where
            if method in ("post", "put", "patch"):
                assert {"400", "409"} <= set(responses), where
                assert "requestBody" in operation or path.endswith(
                ("/withdraw/", "/reinstate/", "/rotate/", "/pause/", "/resume/", "/retry/", "/rotate-secret/")), where
    components = schema["components"]["schemas"]
    assert components["FieldErrors"]["additionalProperties"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_schema_says_who_may_call_anonymously(schema):
    anonymous = {(m, p) for p, ops in schema["paths"].items() for m, op in ops.items() if {} in op.get("security", [])}
    assert ("get", "/books/") in anonymous and ("get", "/plan/") in anonymous and ("get", "/quotes/") in anonymous
    assert ("post", "/books/") not in anonymous and ("get", "/customers/{pk}/rentals/") not in anonymous


@pytest.mark.parametrize("page, asset", [("/", "swagger-ui-bundle.js"), ("/redoc/", "redoc.standalone.js")])
def test_the_docs_pages_work_offline(anonymous, page, asset):
    response = anonymous.client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert "https://" not in html and "http://" not in html.replace("http://testserver", "")  # no CDN
    url = re.search(r'src="([^"]*' + re.escape(asset) + ')"', html).group(1)
    served = anonymous.client.get(url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) if served.streaming else served.content


def test_an_error_is_logged_with_its_traceback_when_debug_is_off(monkeypatch, staff_token, settings):
    assert settings.DEBUG is False
    handler = logging.getLogger("django.request").handlers[0]
    stream = io.StringIO()
    monkeypatch.setattr(handler, "stream", stream)

    def broken():
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr("bookstore.views.catalogue.get_store", broken)
    client = Client(raise_request_exception=False, headers={"Authorization": f"Token {staff_token}"})
    assert client.get("/books/").status_code == 500
    logged = stream.getvalue()
    assert "ERROR django.request" in logged and "Internal Server Error: /books/" in logged
    assert "Traceback (most recent call last)" in logged and "RuntimeError: the disk caught fire" in logged


def test_debug_off_refuses_the_development_secret_key(monkeypatch):
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.setenv("DJANGO_DEBUG", "0")
    with pytest.raises(ImproperlyConfigured, match="development secret key"):
        runpy.run_path(str(PROJECT / "kokoapi" / "settings.py"))
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    assert runpy.run_path(str(PROJECT / "kokoapi" / "settings.py"))["DEBUG"] is True


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, set by the test (seconds since the epoch): windows of a minute start at multiples of 60."""
    now = {"t": 1_700_000_020.0}  # 40 s into a minute (28,333,333 minutes since the epoch)
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: now["t"])
    return now


def test_anonymous_callers_are_throttled(anonymous, monkeypatch, clock):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "1000/minute"})
    statuses = [anonymous.get("/books/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = anonymous.get("/books/")
    assert refused.data["detail"].startswith("Request was throttled")
    assert refused["Retry-After"] == "20"  # the minute's window ends 20 s later
    assert anonymous.get("/health/").status_code == 200  # the health check is never throttled
    clock["t"] += 20  # the next window: counting starts again
    assert [anonymous.get("/books/").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_throttle_costs_one_counter_per_caller_and_window(anonymous, monkeypatch, clock):
    """The counter is one number whatever the rate (DRF's own throttles keep one timestamp per request)."""
    from django.core.cache import cache

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1000/minute", "user": "1000/minute"})
    for _ in range(5):
        assert anonymous.get("/books/").status_code == 200
    assert cache.get("throttle_anon_127.0.0.1:28333333") == 5


def test_users_are_throttled_apart_from_each_other(api, monkeypatch, clock):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1000/minute", "user": "2/minute"})
    assert [api.get("/books/").status_code for _ in range(3)] == [200, 200, 429]
    from .conftest import make_staff_token

    assert api.as_token(make_staff_token("other-clerk")).get("/books/").status_code == 200


def test_cors_lets_the_quote_page_origin_read(anonymous):
    allowed = anonymous.client.get("/plan/", headers={"Origin": "http://127.0.0.1:8080"})
    assert allowed["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"
    other = anonymous.client.get("/plan/", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other


def _run_django(code: str, **env) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kokoapi.settings", "DJANGO_SECRET_KEY": "t", **env}
    return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=PROJECT,
                          env=full_env, capture_output=True, text=True, timeout=120)


def test_auth_none_serves_the_open_api_with_a_loud_warning_and_no_database(tmp_path):
    code = (
        "from django.test import Client as C\n"
        "Client = lambda: C(SERVER_NAME='localhost')\n"
        "r = Client().post('/books/', {'title': 'T', 'author': 'A', 'book_type': 'R'}, content_type='application/json')\n"
        "print(r.status_code)\n"
        "print(Client().post('/customers/1/rentals/', {}, content_type='application/json').status_code)\n"
    )
    # A database Django cannot open: the open API must not need one.
    result = _run_django(code, KOKO_API_AUTH="none", KOKO_STORE="memory",
                         KOKO_API_DATABASE=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["201", "400"]
    assert "KOKO_API_AUTH=none: authentication is OFF" in result.stderr


def test_check_deploy_warns_about_an_open_api(tmp_path):
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=PROJECT, capture_output=True,
                            text=True, timeout=120,
                            env={**os.environ, "DJANGO_SECRET_KEY": "x" * 60, "KOKO_API_AUTH": "none",
                                 "KOKO_STORE": "memory", "DJANGO_SETTINGS_MODULE": "kokoapi.settings"})
    assert "koko.W001" in result.stdout + result.stderr


def test_gunicorn_refuses_several_workers_on_sled(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "3"], cwd=PROJECT,
                            env={**os.environ, "KOKO_STORE": str(tmp_path / "koko-data"), "DJANGO_SECRET_KEY": "x",
                                 "KOKO_API_BIND": "127.0.0.1:0"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "3 workers on a sled or memory store" in result.stderr


def test_the_docs_pages_log_in_with_a_session(anonymous):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="clerk2", password="pw-of-the-test", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    login_page = client.get("/api-auth/login/")
    assert login_page.status_code == 200
    token = login_page.cookies["csrftoken"].value
    logged_in = client.post("/api-auth/login/", {"username": "clerk2", "password": "pw-of-the-test",
                                                  "csrfmiddlewaretoken": token, "next": "/"})
    assert logged_in.status_code == 302
    assert client.get("/customers/").status_code == 200  # staff, by session
    # A write by session needs the CSRF header, as the Swagger page sends it.
    refused = client.post("/customers/", {"first_name": "A", "last_name": "B"}, content_type="application/json")
    assert refused.status_code == 403
    accepted = client.post("/customers/", {"first_name": "A", "last_name": "B"}, content_type="application/json",
                           headers={"X-CSRFToken": client.cookies["csrftoken"].value})
    assert accepted.status_code == 201, accepted.content


@pytest.mark.parametrize(
    "store, redis, backend",
    [
        ("/srv/koko-data", "", "django.core.cache.backends.locmem.LocMemCache"),  # sled: one process
        ("memory", "", "django.core.cache.backends.locmem.LocMemCache"),
        ("postgresql://koko@db/koko", "", "django.core.cache.backends.db.DatabaseCache"),  # several workers
        ("postgresql://koko@db/koko", "redis://127.0.0.1:6379/0", "django.core.cache.backends.redis.RedisCache"),
        ("/srv/koko-data", "redis://127.0.0.1:6379/0", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_the_throttles_count_where_every_worker_process_sees_it(monkeypatch, store, redis, backend):
    """On sled or in memory koko lives in one process (gunicorn.conf.py refuses more), so its memory is shared by all
    its threads; on PostgreSQL the workers share Django's database, or Redis."""
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.setenv("KOKO_STORE", store)
    monkeypatch.setenv("KOKO_API_REDIS_URL", redis)
    assert runpy.run_path(str(PROJECT / "kokoapi" / "settings.py"))["CACHES"]["default"]["BACKEND"] == backend


@pytest.mark.parametrize(
    "redis, engine",
    [
        ("", "django.contrib.sessions.backends.db"),  # Django's default: sessions in Django's database
        ("redis://127.0.0.1:6379/0", "django.contrib.sessions.backends.cache"),  # every app server shares Redis
    ],
)
def test_sessions_live_in_redis_when_the_app_servers_share_it(monkeypatch, redis, engine):
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.setenv("KOKO_STORE", "postgresql://koko@db/koko")
    monkeypatch.setenv("KOKO_API_REDIS_URL", redis)
    settings = runpy.run_path(str(PROJECT / "kokoapi" / "settings.py"))
    assert settings.get("SESSION_ENGINE", "django.contrib.sessions.backends.db") == engine


@pytest.mark.parametrize("seconds, on", [("", False), ("0", False), ("5", True)])
def test_the_catalogue_cache_is_opt_in(monkeypatch, seconds, on):
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.setenv("KOKO_API_CATALOGUE_CACHE_SECONDS", seconds)
    settings = runpy.run_path(str(PROJECT / "kokoapi" / "settings.py"))
    assert ("kokoapi.catalogue_cache.CatalogueCacheMiddleware" in settings["MIDDLEWARE"]) is on


def test_the_catalogue_cache_serves_anonymous_book_reads_only(api, anonymous, settings):
    """With the cache on, an anonymous reader may see a book's status up to that many seconds old; staff never."""
    from django.core.cache import cache

    from kokoapi.catalogue_cache import CatalogueCacheMiddleware

    cache.clear()
    settings.CATALOGUE_CACHE_SECONDS = 30
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "kokoapi.catalogue_cache.CatalogueCacheMiddleware"]
    book = api.book()
    customer = api.customer()
    first = anonymous.get(f"/books/{book['id']}/")
    assert first.data["rental_status"] == "Available" and "X-Koko-Cache" not in first
    api.rent(customer["id"], book["id"])
    cached = anonymous.get(f"/books/{book['id']}/")
    assert cached["X-Koko-Cache"] == "hit" and cached.data["rental_status"] == "Available"  # the cached answer
    assert api.get(f"/books/{book['id']}/").data["rental_status"] == "Rented Out"  # credentials: koko, fresh
    assert anonymous.get("/customers/").status_code == 401  # only 200s of /books/… are kept
    assert CatalogueCacheMiddleware(lambda request: None).seconds == 30
    cache.clear()


def test_a_database_that_does_not_answer_is_a_503_not_a_500(api, monkeypatch):
    """A PostgreSQL primary restarting under load: the token lookup fails; the client gets a 503 it may retry."""
    from django.db import OperationalError

    from bookstore import auth

    def down(key):
        raise OperationalError("connection failed: the database system is shutting down")

    monkeypatch.setattr(auth, "_token_with_user", down)
    response = api.get("/customers/")
    assert response.status_code == 503
    assert response.data == {"detail": "The API's database is unavailable"}


@pytest.mark.parametrize("command", [["send_notices", "--dry-run"], ["customer_login", "1", "ada"]])
def test_a_command_meeting_a_store_the_server_holds_says_so_in_one_line(tmp_path, command):
    # This test process holds the sled store, as a running API server would.
    path = tmp_path / "koko-data"
    held = koko.BookStore.open(str(path), plan=koko.PricePlan.story3())
    try:
        result = subprocess.run([sys.executable, "manage.py", *command], cwd=PROJECT, capture_output=True, text=True,
                                timeout=120, env={**os.environ, "KOKO_STORE": str(path), "DJANGO_SECRET_KEY": "x" * 60,
                                                  "DJANGO_SETTINGS_MODULE": "kokoapi.settings"})
    finally:
        held.close()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "open in another process" in lines[0] and str(os.getpid()) in lines[0], lines[0]
    if command[0] == "send_notices":  # and what to do instead: the server sends them
        assert lines[0].endswith("while the API server runs, it sends them: POST /notices/send/ with a staff token")

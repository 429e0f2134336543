"""The workers on PostgreSQL: two real ``celery worker`` processes and ``celery beat`` with a real Redis as the
broker, an API server (``runserver``, ``KOKO_API_WORKERS=celery`` by default on PostgreSQL) queuing an export job,
and an SMTP server (aiosmtpd) counting the notices' emails: the job completes with koko's CSV, and every notice —
those due by time (the schedule) and a hold made ready (the event consumer) — is sent exactly once although both
workers run the notices tasks at the same time, over and over.

Needs KOKO_TEST_POSTGRES and KOKO_TEST_REDIS (``redis://127.0.0.1:PORT/0``); scripts/test (area django) starts both.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any, Tuple

import koko
import pytest
from aiosmtpd.controller import Controller

from .test_send_notices import PLAN, Collector, free_port

SERVER = os.environ.get("KOKO_TEST_POSTGRES")
REDIS = os.environ.get("KOKO_TEST_REDIS")
pytestmark = pytest.mark.skipif(
    not (SERVER and REDIS),
    reason="KOKO_TEST_POSTGRES and KOKO_TEST_REDIS name no PostgreSQL and Redis servers (scripts/test starts both)",
)
PROJECT = Path(__file__).resolve().parents[1]
UTC = dt.timezone.utc
CUSTOMERS = 6


def host_port() -> str:
    parts = dict(item.split("=", 1) for item in str(SERVER).split())
    return f"{parts.get('host', '127.0.0.1')}:{parts.get('port', '5432')}"


def call(base: str, token: str, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if response.headers.get_content_type() == "application/json" else raw
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def wait_until(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def smtp():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def deployment(smtp, tmp_path):
    """A fresh database with koko's store (overdue rentals: notices due), Django's tables and a staff token; two
    Celery workers, Celery beat and an API server on it. Yields (API base URL, token, store URL, SMTP collector, the
    folder of their logs)."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()  # the test's own Redis: no message of an earlier run
    collector, smtp_port = smtp
    name = f"koko_celery_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
    subprocess.run(["psql", str(SERVER), "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    url = f"postgresql://postgres@{host_port()}/{name}"
    with koko.BookStore.connect(url, plan=koko.PricePlan.from_json(json.dumps(PLAN))) as store:
        now = dt.datetime.now(UTC)
        for n in range(CUSTOMERS):
            book = store.add_book(title=f"Book {n}", author="A", category="regular", copies=2).id
            customer = store.register_customer(first_name=f"C{n}", last_name="L", email=f"c{n}@example.org").id
            store.rent(customer_id=customer, book_id=book, at=now - dt.timedelta(days=8))
    env = {**os.environ, "KOKO_STORE": url, "KOKO_PLAN": "story3", "DJANGO_SETTINGS_MODULE": "kokoapi.settings",
           "DJANGO_SECRET_KEY": "celery-test-" + os.urandom(24).hex(), "DJANGO_SUPERUSER_PASSWORD": "unused",
           "KOKO_API_CELERY_BROKER": REDIS, "KOKO_EMAIL_HOST": "127.0.0.1", "KOKO_EMAIL_PORT": str(smtp_port),
           "KOKO_API_RELAY_SECONDS": "1", "KOKO_API_NOTICE_EVENTS_SECONDS": "1", "KOKO_API_NOTICES_SECONDS": "1",
           "KOKO_API_EXPORTS_DIR": str(tmp_path / "exports")}
    for key in ("KOKO_API_DATABASE", "KOKO_API_WORKERS", "KOKO_API_REDIS_URL"):
        env.pop(key, None)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["createsuperuser", "--noinput", "--username", "clerk", "--email", "c@x.org"]):
        subprocess.run(manage + command, cwd=PROJECT, env=env, check=True, capture_output=True)
    token = subprocess.run(manage + ["drf_create_token", "clerk"], cwd=PROJECT, env=env, check=True,
                           capture_output=True, text=True).stdout.split()[2]
    port = free_port()
    celery = [sys.executable, "-m", "celery", "-A", "kokoapi.celery"]
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("w1", "w2", "beat", "api")}
    commands = {
        "w1": celery + ["worker", "-l", "info", "--pool", "solo", "-n", "w1@%h"],
        "w2": celery + ["worker", "-l", "info", "--pool", "solo", "-n", "w2@%h"],
        "beat": celery + ["beat", "-l", "info", "-s", str(tmp_path / "beat-schedule")],
        "api": manage + ["runserver", "--noreload", f"127.0.0.1:{port}"],
    }
    processes = {name: subprocess.Popen(command, cwd=PROJECT, env=env, stdout=logs[name], stderr=subprocess.STDOUT)
                 for name, command in commands.items()}
    base = f"http://127.0.0.1:{port}"
    try:
        def up():
            try:
                return call(base, token, "GET", "/health/")[0] == 200
            except OSError:
                return False

        wait_until(up, 60, "the API server")
        yield base, token, url, collector, tmp_path
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for name, log in logs.items():
            log.close()
            text = (tmp_path / f"{name}.log").read_text()
            if "Traceback" in text:
                print(f"--- {name} ---\n{text[-4000:]}", file=sys.stderr)


def test_celery_workers_run_export_jobs_and_send_each_notice_once(deployment):
    base, token, url, smtp, logs = deployment
    # Notices due by time: sent by the schedule (every second, on two workers), each once.
    wait_until(lambda: len(smtp.mails) >= CUSTOMERS, 60, "the overdue notices")

    status, job = call(base, token, "POST", "/exports/", {"kind": "active-rentals"})
    assert status == 202 and job["state"] == "queued", job
    done = wait_until(lambda: (j := call(base, token, "GET", f"/exports/{job['id']}/")[1])["state"] == "done" and j,
                      60, "the export job")
    assert done["rows"] == CUSTOMERS and done["url"].endswith(f"/exports/{job['id']}/file")
    status, csv = call(base, token, "GET", f"/exports/{job['id']}/file")
    assert status == 200
    with koko.BookStore.connect(url) as store:
        assert csv == b"".join(store.export_csv_chunks("active-rentals"))
        # A hold made ready: the event consumer sends its notice.
        store.place_hold(customer_id=1, book_id=1)
    wait_until(lambda: len(smtp.mails) >= CUSTOMERS + 1, 30, "the hold-ready notice")
    time.sleep(4)  # several more rounds of every task on both workers: nothing is sent again
    recipients = Counter(m.recipients[0] for m in smtp.mails)
    assert len(smtp.mails) == CUSTOMERS + 1, recipients
    assert recipients == Counter({**{f"c{n}@example.org": 1 for n in range(1, CUSTOMERS)}, "c0@example.org": 2})
    assert "Book 0" in smtp.mails[-1].body and "ready" in smtp.mails[-1].subject.lower()
    for worker in ("w1", "w2"):  # both workers ran the notices' tasks
        log = (logs / f"{worker}.log").read_text()
        assert "bookstore.notices" in log and "bookstore.notice_events" in log, log[-2000:]

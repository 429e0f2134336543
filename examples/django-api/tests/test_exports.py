"""Export jobs (``POST /exports/``) run by the background workers' thread, as on a sled deployment: the job goes
queued → running (rows counted) → done, its file is koko's CSV byte for byte (the same as ``koko export KIND``),
it answers 409 before it is done and 410 once expired; bad input is a 4xx naming the field."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import threading
import time
from pathlib import Path

import koko
import pytest
from django.utils import timezone

from bookstore.models import ExportJob
from bookstore.workers import exports
from bookstore.workers.thread import Workers

from .test_operator_api import koko_binary

UTC = dt.timezone.utc
KINDS = ("active-rentals", "overdue", "ledger", "books", "customers")


@pytest.fixture(autouse=True)
def exports_dir(settings, tmp_path) -> Path:
    settings.KOKO_API_EXPORTS_DIR = str(tmp_path / "exports")
    return tmp_path / "exports"


def fill(store: koko.BookStore, rentals: int = 50) -> None:
    """Books, customers (with a comma and a quote in a name), open and overdue rentals, a payment."""
    batch = koko.Batch()
    for n in range(rentals):
        batch.add_book(title=f"Book {n}, \"quoted\"", author="A", category=("novel", "regular", "fiction")[n % 3],
                       copies=2)
    for n in range(10):
        batch.register_customer(first_name=f"Ada {n}", last_name="Lovelace, Jr.",
                                email=f"ada{n}@example.org" if n % 2 else None)
    store.apply_batch(batch)
    now = dt.datetime.now(UTC)
    batch = koko.Batch()
    for n in range(rentals):
        batch.rent(customer_id=1 + n % 10, book_id=1 + n, at=now - dt.timedelta(days=n % 20))
    store.apply_batch(batch)
    store.return_rental(rental_id=1, at=now)
    store.pay(customer_id=1, amount="2.50", at=now)


def core_csv(store: koko.BookStore, kind: str) -> bytes:
    return b"".join(store.export_csv_chunks(kind))


def wait_for(predicate, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


class GatedStore:
    """The store, but its exports stop after their first chunk until ``release`` is set: the test sees them run."""

    def __init__(self, store: koko.BookStore) -> None:
        self.store = store
        self.first_chunk = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name):
        return getattr(self.store, name)

    def export_csv_chunks(self, kind, chunk_size=None):
        chunks = self.store.export_csv_chunks(kind, chunk_size=64)

        def gated():
            for number, chunk in enumerate(chunks):
                yield chunk
                if number == 0:
                    self.first_chunk.set()
                    assert self.release.wait(20)

        class Gated:
            def __iter__(self):
                return gated()

            @property
            def rows(self):
                return chunks.rows

            def close(self):
                chunks.close()

        return Gated()


@pytest.mark.django_db(transaction=True)
def test_a_job_on_sled_goes_queued_running_done_through_the_thread(api, store, settings, exports_dir):
    fill(store, rentals=300)
    settings.KOKO_API_WORKERS = "thread"
    posted = api.post("/exports/", {"kind": "active-rentals"})
    assert posted.status_code == 202, posted.raw
    job = posted.data
    assert (job["state"], job["rows"], job["url"], job["started_at"]) == ("queued", 0, None, None)
    assert posted["Location"] == f"/exports/{job['id']}/"
    assert api.get(f"/exports/{job['id']}/file").status_code == 409  # not done yet

    gated = GatedStore(store)
    workers = Workers(store=lambda: gated)
    workers.start()
    try:
        assert gated.first_chunk.wait(20)
        running = api.get(f"/exports/{job['id']}/").data
        assert running["state"] == "running" and running["started_at"] is not None
        answer = api.get(f"/exports/{job['id']}/file")
        assert answer.status_code == 409 and "running" in answer.data["detail"]
        gated.release.set()
        done = wait_for(lambda: (d := api.get(f"/exports/{job['id']}/").data)["state"] == "done" and d)
    finally:
        gated.release.set()
        workers.stop()
    assert done["rows"] == 299  # one of the 300 was returned
    assert done["url"].endswith(f"/exports/{job['id']}/file")
    expires = dt.datetime.fromisoformat(done["expires_at"].replace("Z", "+00:00"))
    finished = dt.datetime.fromisoformat(done["finished_at"].replace("Z", "+00:00"))
    assert expires - finished == dt.timedelta(seconds=settings.KOKO_API_EXPORT_EXPIRY_SECONDS)
    response = api.client.get(f"/exports/{job['id']}/file", headers={"Authorization": f"Token {api.token}"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content) == core_csv(store, "active-rentals")

    # A day later the expiry task deletes the file: 410.
    assert exports.expire(timezone.now() + dt.timedelta(seconds=settings.KOKO_API_EXPORT_EXPIRY_SECONDS + 1)) == 1
    assert list(exports_dir.iterdir()) == []
    assert api.get(f"/exports/{job['id']}/").data["state"] == "expired"
    gone = api.get(f"/exports/{job['id']}/file")
    assert gone.status_code == 410 and "expired" in gone.data["detail"]


@pytest.mark.django_db(transaction=True)
def test_the_thread_picks_up_a_job_posted_while_it_runs(api, store, settings):
    fill(store, rentals=20)
    settings.KOKO_API_WORKERS = "thread"
    settings.KOKO_API_NOTICES_SECONDS = 3600
    workers = Workers(store=lambda: store)
    from bookstore.workers import thread

    thread._workers = workers  # what thread.start() does in a server
    workers.start()
    try:
        time.sleep(0.3)  # its first turn is done: it waits
        started = time.monotonic()
        job = api.post("/exports/", {"kind": "books"}).data
        done = wait_for(lambda: (d := api.get(f"/exports/{job['id']}/").data)["state"] == "done" and d)
        assert time.monotonic() - started < 5
    finally:
        thread._workers = None
        workers.stop()
    assert done["rows"] == 20


def test_every_kind_writes_the_cores_csv(api, store):
    fill(store)
    jobs = {kind: api.post("/exports/", {"kind": kind}).data["id"] for kind in KINDS}
    assert exports.run_queued(store) == len(KINDS)
    assert exports.run_queued(store) == 0  # each ran once
    for kind, job_id in jobs.items():
        job = api.get(f"/exports/{job_id}/").data
        assert job["state"] == "done", job
        response = api.client.get(f"/exports/{job_id}/file", headers={"Authorization": f"Token {api.token}"})
        body = b"".join(response.streaming_content)
        assert body == core_csv(store, kind), kind
        assert job["rows"] == body.count(b"\n") - 1 - body.count(b'"\n')  # no field here spans lines


def test_the_cores_csv_is_the_csv_of_koko_export(tmp_path):
    """The same columns and rows as ``koko export KIND`` (one writer, in the core)."""
    path = tmp_path / "store"
    with koko.BookStore.open(str(path), plan=koko.PricePlan.story3()) as sled:
        fill(sled)
        ours = {kind: core_csv(sled, kind) for kind in KINDS}
    env = {k: v for k, v in os.environ.items() if k not in ("KOKO_STORE", "KOKO_API_URL")}
    for kind in KINDS:
        cli = subprocess.run([koko_binary(), "--store", str(path), "export", kind], env=env, capture_output=True,
                             check=True)
        assert cli.stdout == ours[kind], kind


def test_a_claimed_job_runs_once_however_many_workers_are_offered_it(api, store):
    job = api.post("/exports/", {"kind": "customers"}).data
    assert exports.claim(job["id"], "worker-a") is True
    assert exports.claim(job["id"], "worker-b") is False
    assert exports.run(store, job["id"]) is False  # already claimed


def test_a_failed_job_says_why(api):
    job = api.post("/exports/", {"kind": "ledger"}).data

    def broken(kind, chunk_size=None):
        raise koko.StorageError("the disk is full")

    exports.run(type("Broken", (), {"export_csv_chunks": staticmethod(broken)})(), job["id"])
    failed = api.get(f"/exports/{job['id']}/").data
    assert failed["state"] == "failed" and "the disk is full" in failed["error"]
    answer = api.get(f"/exports/{job['id']}/file")
    assert answer.status_code == 409 and "the disk is full" in answer.data["detail"]


@pytest.mark.parametrize("body, message", [
    ({"kind": "rentals"}, "is not a valid choice"),
    ({}, "This field is required."),
    ({"kind": 3}, "is not a valid choice"),
])
def test_bad_input_names_the_field(api, body, message):
    answer = api.post("/exports/", body)
    assert answer.status_code == 400 and message in str(answer.data["kind"]), answer.raw
    assert ExportJob.objects.count() == 0


def test_unknown_jobs_are_404_and_exports_are_for_staff(api, anonymous, as_customer):
    for url in ("/exports/999/", "/exports/999/file"):
        answer = api.get(url)
        assert answer.status_code == 404 and "999" in answer.data["detail"], answer.raw
    assert anonymous.post("/exports/", {"kind": "books"}).status_code == 401
    customer = api.customer()
    assert as_customer(customer["id"]).post("/exports/", {"kind": "books"}).status_code == 403


def test_celery_workers_on_a_sled_store_are_a_warning(settings):
    from bookstore.checks import check_workers

    settings.KOKO_API_WORKERS = "celery"
    assert [w.id for w in check_workers(None)] == ["koko.W002"]
    settings.KOKO_API_WORKERS = "thread"
    assert check_workers(None) == []

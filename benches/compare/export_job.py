#!/usr/bin/env python3
"""An export job on a big store, and what it does to the API's other requests meanwhile.

Builds a sled store with N open rentals (default 1,000,000: books of 10,000 copies, each book's rents one batch, as
``benches/examples/sled_1m.rs`` does), starts the REST API on it as a store would run it (gunicorn with
gunicorn.conf.py on 127.0.0.1: one process, its threads, and the background workers' thread,
``KOKO_API_WORKERS=thread``), then measures the latency of ``GET /books/`` (a staff token: koko is read every time)
before the job, and again while ``POST /exports/ {"kind": "active-rentals"}`` runs in the server's worker thread.
Prints p50 / p95 / max for both, the job's duration (started → finished, from the job) and its rows, and checks that
the file holds one row per open rental.

    target/django-venv/bin/python benches/compare/export_job.py [--rentals 1000000] [--quick] [--keep DIR]

``--quick`` is a smoke run (2,000 rentals: the job is done, its rows right; no timing claims). ``--keep DIR`` builds
the store in DIR once and reuses it on the next run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent.parent
PROJECT = ROOT / "examples" / "django-api"
sys.path.insert(0, str(PROJECT / "tools"))
from live_api import free_port, server_env, staff_token  # noqa: E402

import koko  # noqa: E402

COPIES_PER_BOOK = 10_000


def build(path: Path, rentals: int) -> None:
    """A sled store with ``rentals`` open rentals (one customer, books of up to 10,000 copies, each book's rents one
    batch); says how long it took."""
    started = time.monotonic()
    with koko.BookStore.open(str(path), plan=koko.PricePlan.story3()) as store:
        customer = store.register_customer(first_name="Bench", last_name="Reader").id
        made, book_number = 0, 0
        now = dt.datetime.now(dt.timezone.utc)
        while made < rentals:
            copies = min(COPIES_PER_BOOK, rentals - made)
            book = store.add_book(title=f"Open book {book_number}", author="A",
                                  category=("regular", "fiction", "novel")[book_number % 3], copies=copies)
            batch = koko.Batch()
            for copy in store.copies(book.id):
                batch.rent(customer_id=customer, copy_id=copy.id, at=now - dt.timedelta(days=made % 30))
                made += 1
            for result in store.apply_batch(batch):
                if isinstance(result, Exception):
                    raise result
            book_number += 1
            if book_number % 10 == 0:
                print(f"  {made:,} rentals ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    print(f"built {rentals:,} open rentals in {time.monotonic() - started:.1f} s")


def request(base: str, token: str, method: str, path: str, body=None) -> Tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", "Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            raw = response.read()
            kind = response.headers.get_content_type()
            return response.status, json.loads(raw) if kind == "application/json" else raw
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def timed_get(base: str, token: str, path: str) -> float:
    started = time.perf_counter()
    status, _ = request(base, token, "GET", path)
    took = time.perf_counter() - started
    if status != 200:
        raise SystemExit(f"GET {path}: {status}")
    return took * 1000


def figures(label: str, samples: List[float]) -> str:
    if not samples:
        return f"{label:<18} no request"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return (f"{label:<18} n={len(samples):>5}  p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  "
            f"max {ordered[-1]:7.1f} ms")


def parse(value: Optional[str]) -> Optional[dt.datetime]:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rentals", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2,000 rentals, no timing claims")
    parser.add_argument("--before", type=int, default=200, help="GET /books/ requests before the job")
    parser.add_argument("--keep", type=Path, help="build the store here once and reuse it")
    args = parser.parse_args()
    rentals = 2_000 if args.quick else args.rentals
    probe = "/books/?limit=20"
    with tempfile.TemporaryDirectory(prefix="koko-export-job-") as tmp:
        tmp = Path(tmp)
        store = args.keep or tmp / "koko-data"
        if not (store / "db").is_file():
            build(store, rentals)
        port = free_port()
        env = server_env(store, port, {"KOKO_API_WORKERS": "thread", "KOKO_API_EXPORTS_DIR": str(tmp / "exports"),
                                       "KOKO_API_LOG_LEVEL": "WARNING"})
        env["KOKO_API_DATABASE"] = f"sqlite://{tmp / 'api.sqlite3'}"  # fresh users, even on a kept store
        token = staff_token(PROJECT, env)
        log = open(tmp / "gunicorn.log", "w")
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile",
                                   "/dev/null"], cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if request(base, token, "GET", "/health/")[0] == 200:
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    print((tmp / "gunicorn.log").read_text(), file=sys.stderr)
                    raise SystemExit("the API did not start")
                time.sleep(0.2)
            for _ in range(100):  # warm up (and let the workers' first turn pass)
                timed_get(base, token, probe)
            before = [timed_get(base, token, probe) for _ in range(args.before)]

            status, job = request(base, token, "POST", "/exports/", {"kind": "active-rentals"})
            if status != 202:
                raise SystemExit(f"POST /exports/: {status} {job!r}")
            posted = time.monotonic()
            during: List[float] = []
            state = {"job": job}
            stop = threading.Event()

            def poll() -> None:
                while not stop.is_set():
                    state["job"] = request(base, token, "GET", f"/exports/{job['id']}/")[1]
                    if state["job"]["state"] in ("done", "failed"):
                        stop.set()
                    time.sleep(0.1)

            poller = threading.Thread(target=poll)
            poller.start()
            while not stop.is_set():
                during.append(timed_get(base, token, probe))
                if time.monotonic() - posted > 3600:
                    stop.set()
            poller.join()
            waited = time.monotonic() - posted
            done = state["job"]
            if done["state"] != "done":
                raise SystemExit(f"the job did not finish: {done}")
            status, body = request(base, token, "GET", f"/exports/{job['id']}/file")
            lines = body.count(b"\n") if isinstance(body, bytes) else -1
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
        took = (parse(done["finished_at"]) - parse(done["started_at"])).total_seconds()
        print(f"export job: {done['rows']:,} rows in {took:.2f} s (posted → done seen: {waited:.2f} s); "
              f"file {len(body):,} bytes")
        print(figures("GET /books/ before", before))
        print(figures("GET /books/ during", during))
        if done["rows"] != rentals or lines != rentals + 1:
            raise SystemExit(f"expected {rentals} rows: the job says {done['rows']}, the file has {lines - 1}")
        if args.quick:
            print("quick run: the job is done and its rows are right (no timing claims)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

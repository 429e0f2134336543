#!/usr/bin/env python3
"""A rent + close cycle over HTTP: the koko-backed REST API (``examples/django-api``) against a reconstruction of the
original application (``original_api/``: Django + DRF on SQLite), side by side in one run.

Each server runs under gunicorn with one sync worker on 127.0.0.1; the client opens a new connection per request (as
a browser or a simple client does). One cycle is ``POST /customers/<id>/rentals/`` then ``PUT /rentals/<id>/close/``
with explicit times, and every charge is checked against story 3 (``story3_reference.py``). The koko API runs as a
store would run it: durable sled (every write on disk before the answer), token authentication as a staff user,
throttling on (rates raised so the benchmark is not refused), keyset pagination on, its access log written.

Sides are measured in alternating rounds (original, koko, original, koko, …) and each side's figure is the median
round. ``--api LABEL=DIR`` adds another koko API tree (e.g. a ``git worktree`` of an older commit, for before/after
figures); ``--api LABEL=DIR:KEY=VALUE,…`` also sets its environment (``KOKO_API_AUTH=none``, …).

    target/django-venv/bin/python benches/compare/http_cycle.py [--quick] [--cycles 300] [--rounds 5]
        [--api before=/tmp/koko-before/examples/django-api]

Needs the Django venv (Django, DRF, gunicorn and the koko wheel: scripts/test builds it). ``--quick`` is a smoke run
(a few cycles, every charge checked, no timing claims).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from story3_reference import story3_charge  # noqa: E402

sys.path.insert(0, str(ROOT / "examples" / "django-api" / "tools"))
from live_api import server_env, staff_token  # noqa: E402

BOOKS = [("R", "regular"), ("F", "fiction"), ("N", "novel")] * 4
T0 = datetime(2024, 6, 3, 10, 0, tzinfo=timezone.utc)


def returned_at(i: int) -> datetime:
    """The return time of the i-th cycle (rented at ``T0``): 0-9 days and some hours later."""
    return T0 + timedelta(days=i % 10, hours=(7 * i) % 24, minutes=i % 60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass
class Server:
    """A running API: where it listens, the headers every request carries, its seeded ids."""

    label: str
    port: int
    process: subprocess.Popen
    headers: Dict[str, str] = field(default_factory=dict)
    customer_id: int = 0
    book_ids: List[int] = field(default_factory=list)
    rounds: List[float] = field(default_factory=list)

    def call(self, method: str, path: str, body: Optional[dict] = None) -> tuple[int, dict]:
        """One request on a new connection, the server closing it after its answer (HTTP/1.0). A lean client —
        one ``sendall`` and reads until the server closes — so the figures are mostly the servers'."""
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.0", "Host: 127.0.0.1", "Accept: application/json"]
        head += [f"{name}: {value}" for name, value in self.headers.items()]
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
            connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
            chunks = []
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        response = b"".join(chunks)
        header, _, payload = response.partition(b"\r\n\r\n")
        status = int(header.split(b" ", 2)[1])
        return status, (json.loads(payload) if payload else {})

    def wait_ready(self, path: str, deadline: float) -> None:
        while True:
            try:
                status, _ = self.call("GET", path)
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{self.label}: the server did not start")
            time.sleep(0.2)

    def seed(self) -> None:
        status, customer = self.call("POST", "/customers/", {"first_name": "Ada", "last_name": "Lovelace"})
        assert status == 201, (self.label, status, customer)
        self.customer_id = customer["id"]
        for j, (book_type, _) in enumerate(BOOKS):
            status, book = self.call("POST", "/books/", {"title": f"Book {j}", "author": "A", "book_type": book_type})
            assert status == 201, (self.label, status, book)
            self.book_ids.append(book["id"])

    def cycle(self, i: int) -> None:
        """Rents book ``i`` at T0 and closes it at ``returned_at(i)``; checks the charge."""
        status, rental = self.call("POST", f"/customers/{self.customer_id}/rentals/",
                                   {"book": self.book_ids[i % len(BOOKS)], "date_rented": iso(T0)})
        assert status == 201, (self.label, status, rental)
        status, closed = self.call("PUT", f"/rentals/{rental['id']}/close/", {"date_returned": iso(returned_at(i))})
        assert status == 200, (self.label, status, closed)
        expected = story3_charge(BOOKS[i % len(BOOKS)][1], T0, returned_at(i))
        assert Decimal(closed["amount_charged"]) == expected, (self.label, i, closed, expected)

    def run_round(self, cycles: int, start: int) -> float:
        """``cycles`` cycles; milliseconds per cycle."""
        began = time.perf_counter()
        for i in range(start, start + cycles):
            self.cycle(i)
        return (time.perf_counter() - began) * 1000 / cycles


def gunicorn(python: str, args: List[str], cwd: Path, env: Dict[str, str], log: Path) -> subprocess.Popen:
    """gunicorn with ONE sync worker, whatever its config file says (the command line wins; one thread, or gunicorn
    turns a sync worker into a threaded one)."""
    return subprocess.Popen([python, "-m", "gunicorn", *args, "--workers", "1", "--worker-class", "sync",
                             "--threads", "1"],
                            cwd=cwd, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)


def start_original(tmp: Path, debug: bool = False) -> Server:
    port = free_port()
    label = "original as shipped (DEBUG=True)" if debug else "original (Django + DRF, SQLite)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "original_api.settings", "PYTHONPATH": str(HERE),
           "ORIGINAL_API_DB": str(tmp / f"original{'-debug' if debug else ''}.sqlite3"),
           "ORIGINAL_API_DEBUG": "1" if debug else "0"}
    subprocess.run([sys.executable, "-m", "django", "migrate", "--run-syncdb", "-v0"], cwd=HERE, env=env, check=True)
    process = gunicorn(sys.executable, ["--bind", f"127.0.0.1:{port}", "original_api.wsgi"], HERE, env,
                       tmp / f"{label}.log")
    return Server(label, port, process)


def start_koko(label: str, project: Path, extra_env: Dict[str, str], tmp: Path) -> Server:
    port = free_port()
    env = server_env(tmp / f"{label}-koko-data", port, extra_env)
    headers = {}
    if env.get("KOKO_API_AUTH", "token") != "none":
        headers["Authorization"] = f"Token {staff_token(project, env)}"
    process = gunicorn(sys.executable, ["-c", "gunicorn.conf.py"], project, env, tmp / f"{label}.log")
    return Server(label, port, process, headers)


def parse_api(spec: str) -> tuple[str, Path, Dict[str, str]]:
    label, _, rest = spec.partition("=")
    directory, _, pairs = rest.partition(":")
    env = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
    return label, Path(directory).resolve(), env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run: few cycles, no timing claims")
    parser.add_argument("--cycles", type=int, default=300, help="cycles per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per side (alternating)")
    parser.add_argument("--api", action="append", default=[], metavar="LABEL=DIR[:K=V,...]",
                        help="another koko API tree to measure (default: this repository's, labelled 'koko')")
    parser.add_argument("--no-original", action="store_true", help="measure only the koko API trees")
    parser.add_argument("--original-as-shipped", action="store_true",
                        help="also measure the original with DEBUG=True, as it ships")
    args = parser.parse_args()
    if args.quick:
        args.cycles, args.rounds = 12, 1
    apis = [parse_api(spec) for spec in args.api] or [("koko", ROOT / "examples" / "django-api", {})]
    with tempfile.TemporaryDirectory(prefix="koko-http-cycle-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        servers: List[Server] = []
        if not args.no_original:
            servers.append(start_original(tmp))
        if args.original_as_shipped:
            servers.append(start_original(tmp, debug=True))
        servers += [start_koko(label, project, env, tmp) for label, project, env in apis]
        for server in servers:
            stack.callback(server.process.wait, 30)
            stack.callback(server.process.terminate)
        deadline = time.monotonic() + 60
        for server in servers:
            server.wait_ready("/books/", deadline)
            server.seed()
            server.run_round(min(30, args.cycles), 0)  # warm-up: imports, caches, first writes
        start = 1000
        for _ in range(args.rounds):
            for server in servers:
                server.rounds.append(server.run_round(args.cycles, start))
            start += args.cycles
        total = args.rounds * args.cycles
        if args.quick:
            print(f"http cycle (--quick): {total} rent+close cycles over HTTP on each of {len(servers)} servers, "
                  "every charge as story 3 says (no timing claims)")
            return 0
        baseline = statistics.median(servers[0].rounds)
        print(f"rent + close over HTTP, one gunicorn sync worker each, a new connection per request; "
              f"{args.rounds} alternating rounds of {args.cycles} cycles, median round:")
        for server in servers:
            ms = statistics.median(server.rounds)
            spread = ", ".join(f"{r:.2f}" for r in server.rounds)
            ratio = f"{baseline / ms:.2f}× the first" if server is not servers[0] else "baseline"
            print(f"  {server.label:40} {ms:7.2f} ms/cycle  ({ratio}; rounds: {spread})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The rent endpoint served by several OS worker processes against one PostgreSQL database.

Needs a server (KOKO_TEST_POSTGRES, started by scripts/test). Three `manage.py runserver` processes share one fresh
database — koko's tables and, beside them, Django's (users, tokens, the throttles' cache), set up as the README says:
`migrate`, `createsuperuser`, `drf_create_token`. For each single-copy book, one request per worker races to rent
it: exactly one wins.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

SERVER = os.environ.get("KOKO_TEST_POSTGRES")
pytestmark = pytest.mark.skipif(not SERVER, reason="KOKO_TEST_POSTGRES names no PostgreSQL server")
PROJECT = Path(__file__).resolve().parents[1]
WORKERS = 3
ROUNDS = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TOKEN = {"key": ""}


def call(base: str, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Authorization": f"Token {TOKEN['key']}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@pytest.fixture
def workers() -> Iterator[List[str]]:
    name = f"koko_django_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
    subprocess.run(["psql", str(SERVER), "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    url = f"postgresql://postgres@{_host_port()}/{name}"
    env = {**os.environ, "KOKO_STORE": url, "KOKO_PLAN": "story3", "DJANGO_SETTINGS_MODULE": "kokoapi.settings",
           "DJANGO_SECRET_KEY": "postgres-workers-test-" + os.urandom(24).hex(),  # a server refuses < 50 characters
           "DJANGO_SUPERUSER_PASSWORD": "not-used-by-the-test"}
    env.pop("KOKO_API_DATABASE", None)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["createsuperuser", "--noinput", "--username", "clerk", "--email", "c@x.org"]):
        subprocess.run(manage + command, cwd=PROJECT, env=env, check=True, capture_output=True)
    created = subprocess.run(manage + ["drf_create_token", "clerk"], cwd=PROJECT, env=env, check=True,
                             capture_output=True, text=True)
    TOKEN["key"] = created.stdout.split()[2]  # "Generated token <key> for user clerk"
    bases, processes = [], []
    for _ in range(WORKERS):
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base in bases:
            for _ in range(300):
                try:
                    if call(base, "GET", "/books/")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                raise RuntimeError(f"worker {base} did not start")
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _host_port() -> str:
    parts = dict(item.split("=", 1) for item in str(SERVER).split())
    return f"{parts.get('host', '127.0.0.1')}:{parts.get('port', '5432')}"


def test_worker_processes_racing_for_one_copy_give_one_rental(workers: List[str]) -> None:
    first = workers[0]
    status, customer = call(first, "POST", "/customers/", {"first_name": "Ada", "last_name": "Lovelace"})
    assert status == 201, customer
    winners = 0
    for round_ in range(ROUNDS):
        # Each book is created through a different worker: all of them share the one database.
        status, book = call(workers[round_ % WORKERS], "POST", "/books/",
                            {"title": f"Race {round_}", "author": "A", "book_type": "R"})
        assert status == 201, book
        with ThreadPoolExecutor(WORKERS) as pool:
            answers = list(pool.map(
                lambda base: call(base, "POST", f"/customers/{customer['id']}/rentals/", {"book": book["id"]}),
                workers))
        statuses = sorted(code for code, _ in answers)
        assert statuses == [201] + [400] * (WORKERS - 1), answers
        assert all("Book is unavailable" in json.dumps(body) for code, body in answers if code == 400)
        winners += 1
        for base in workers:
            status, seen = call(base, "GET", f"/books/{book['id']}/")
            assert (status, seen["rental_status"]) == (200, "Rented Out")
    status, rentals = call(workers[-1], "GET", f"/customers/{customer['id']}/rentals/?limit=1000")
    rentals = rentals["results"]  # one page holds them all
    assert status == 200 and len(rentals) == winners == ROUNDS

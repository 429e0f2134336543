"""The operator's `koko` command through this API (`koko --api URL`) while the server holds the store: backup,
check, export and report work beside it, on one consistent snapshot. Runs the koko binary the Rust build made
(`KOKO_BIN`, else target/debug or target/release)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import koko
import pytest

from .conftest import make_staff_token

ROOT = Path(__file__).resolve().parents[3]
MONDAY = "2024-06-03T10:00:00Z"


def koko_binary() -> str:
    named = os.environ.get("KOKO_BIN")
    candidates = [Path(named)] if named else [ROOT / "target" / "debug" / "koko", ROOT / "target" / "release" / "koko"]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    pytest.fail(f"no koko binary at {', '.join(map(str, candidates))}: run `cargo build -p koko-cli` or set KOKO_BIN")


def run_koko(url: str, token: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KOKO_STORE", "KOKO_API_URL")}
    env["KOKO_API_TOKEN"] = token
    return subprocess.run([koko_binary(), "--api", url, *args], env=env, capture_output=True, text=True, timeout=60)


def test_the_koko_command_works_through_the_running_api(live_server, api, store, tmp_path):
    book = api.book(copies=2)
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"], date_rented=MONDAY)
    api.close(rental["id"], date_returned="2024-06-05T10:00:00Z")
    api.rent(ada["id"], book["id"], date_rented=MONDAY)
    token = make_staff_token("operator")
    url = live_server.url + "/"

    dump = tmp_path / "nightly.dump"
    backed_up = run_koko(url, token, "backup", "-o", str(dump))
    assert backed_up.returncode == 0, backed_up.stderr
    assert backed_up.stderr.startswith("backed up: 1 plan versions, 1 books, 2 copies, 1 customers, 2 rentals")
    # The copy is the store's own dump (but for the header's time), and it restores.
    direct = tmp_path / "direct.dump"
    store.backup(direct)
    assert dump.read_text().splitlines()[1:] == direct.read_text().splitlines()[1:]
    restored = koko.BookStore.restore(dump, str(tmp_path / "restored"))
    assert restored.rental(rental["id"]).charge.total == store.rental(rental["id"]).charge.total

    checked = run_koko(url, token, "check")
    assert (checked.returncode, checked.stdout.strip()) == (
        0, "checked 1 books, 2 copies, 1 customers, 2 rentals, 1 ledger entries: no problem")
    customers = run_koko(url, token, "export", "customers")
    assert customers.stdout.splitlines() == ["id,first_name,last_name,email,active",
                                             f"{ada['id']},Ada,Lovelace,,true"]
    report = run_koko(url, token, "report", "--from", "2024-06-01T00:00:00Z", "--to", "2024-07-01T00:00:00Z")
    # A novel kept two days: 2 x 1.50 is below story 3's minimum of 4.50.
    assert report.stdout.splitlines() == ["currency,category,rentals,total", "USD,novel,1,4.50"]

    # A customer's token may not take the store's dump.
    as_ada = api.post(f"/customers/{ada['id']}/login/", {"username": "ada"})
    refused = run_koko(url, as_ada.data["token"], "check")
    assert refused.returncode == 2
    assert refused.stderr.rstrip().endswith("the token is not a staff user's"), refused.stderr

"""The rule scenarios (``core/tests/scenarios/*.json``, worked out by hand; also run from Rust and from Python) over
HTTP: each scenario on a fresh store with its plan, through the REST API as staff (``tests/conftest.py``'s client).

Each step is one call of the API, or a few where the API answers a record in parts (a new book's copies are its
copies list; a rental's copy is in its book's copies list and its due date in the active-rentals CSV; a copy is found
in its book's copies list, and the hold it is set aside for in its book's queue). The answer is turned into the JSON
the scenario format describes (``core/tests/scenarios/README.md``) and compared with what the step expects by the
same ``matches`` rule as the other runners; a step with an ``error`` must get the HTTP answer the API maps that koko
error to (``ERRORS``, after ``bookstore/errors.py``), naming the step's field as the API names it (``API_FIELDS``).

What the API does not answer over HTTP is an ``Unanswered`` part of the answer (or the whole answer of a call it
cannot make): a step's check of it is left out, and each scenario lists the checks it left out, with why, in a
``NotCheckedOverHttp`` warning (pytest's warnings summary).
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlencode

import koko
import pytest

from bookstore import store as koko_store

from .conftest import Api

# koko's error kind → the HTTP answer the API maps it to (bookstore/errors.py): the status, where the body names the
# step's ``field`` ("key": the API's name of the field is a key of the body; "rule": the body's ``rule`` is the
# field; None: it names none) and the body's fixed ``detail``, if any. A Duplicate on the idempotency key (the
# ``Idempotency-Key`` header) has a row of its own.
ERRORS: Dict[str, Tuple[int, Optional[str], Optional[str]]] = {
    "InvalidInput": (400, "key", None),
    "NotFound": (404, None, None),
    "Unavailable": (400, None, "Book is unavailable"),
    "AlreadyReturned": (409, None, "Rental is already closed"),
    "InactiveCustomer": (403, None, "Customer is inactive and cannot rent"),
    "Blocked": (403, "rule", None),
    "Duplicate": (400, "key", None),
    "Duplicate idempotency_key": (409, "key", None),
}

# koko's field names → the API's, where they differ: for every call (errors.API_FIELDS), then for one call (its view's
# ``at_field`` and ``api_fields``; koko's ``at`` is ``at`` unless a call says otherwise).
API_FIELDS: Dict[str, str] = {
    "idempotency_key": "Idempotency-Key",
    "category": "book_type",
    "active": "is_active",
    "book_id": "book",
    "customer_id": "customer",
    "rented_at": "date_rented",
    "returned_at": "date_returned",
}
CALL_FIELDS: Dict[str, Dict[str, str]] = {
    "rent": {"at": "date_rented"},
    "return": {"at": "date_returned"},
    "place_hold": {"book": "book_id", "book_id": "book_id", "customer_id": "customer_id"},
    "withdraw": {"copy": "copy_id"},
    "reinstate": {"copy": "copy_id"},
    "mark_found": {"copy": "copy_id"},
    "fee": {"rental": "rental_id"},
}

# The scenarios' categories → the API's book_type codes (bookstore/serializers.py).
BOOK_TYPES = {"regular": "R", "fiction": "F", "novel": "N"}
# The columns of an aging row, named alike by the API and the format.
AGES = ("balance", "days_0_30", "days_31_60", "days_61_90", "days_over_90")

FOLDER = Path(__file__).resolve().parents[3] / "core" / "tests" / "scenarios"
FILES = sorted(FOLDER.glob("*.json"))
CASES: List[Tuple[str, Dict[str, Any], Dict[str, Any]]] = [
    (path.stem, json.loads(path.read_text()), scenario)
    for path in FILES
    for scenario in json.loads(path.read_text())["scenarios"]
]

# Why a part of an answer is not answered over HTTP.
NO_RENEWALS = "the API answers a rental's renewals only in the answer of POST /rentals/<id>/renew/"
NO_DUE_DATE = (
    "the API's rentals have no due date: the active-rentals CSV has it for open rentals only, the renew answer "
    "for the renewed rental"
)
NO_COPY = (
    "the API's rentals do not name their copy: a book's copies list names the rental of a rented copy, or of a "
    "lost one until it is found"
)
NO_LINES = "the API's receipt has no charge lines (amount_charged only)"
NO_NOTICES_AT = (
    "the API lists notices per customer as of the server's clock only (GET /customers/<id>/notices/), not at an "
    "instant"
)
NO_MARK_NOTIFIED = "the API has no endpoint that marks notices sent (only manage.py send_notices does)"
NO_RENT_COPY = "the API rents a book, not a given copy (POST /customers/<id>/rentals/ takes a book)"


class NotCheckedOverHttp(UserWarning):
    """A scenario's checks the runner left out: the API does not answer them over HTTP."""


@dataclass(frozen=True)
class Unanswered:
    """A part of an answer the API does not give over HTTP (or the whole answer of a call it cannot make), and why."""

    why: str


class Refused(Exception):
    """The API answered a step's call with an error (not 2xx)."""

    def __init__(self, method: str, url: str, response: Any) -> None:
        super().__init__(f"{method.upper()} {url}: HTTP {response.status_code} {response.raw}")
        self.response = response


def instant(text: Optional[str]) -> Optional[datetime]:
    """An ISO 8601 time with an offset (the files' ``...Z``, the API's answers) as an aware datetime."""
    return None if not text else datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp(text: Optional[str]) -> Optional[str]:
    """A time the API answers, as the files write it (UTC, whole seconds, ``Z``)."""
    value = instant(text)
    return None if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_of(doc: Dict[str, Any], spec: Any) -> koko.PricePlan:
    if isinstance(spec, str):
        named = doc.get("plans", {}).get(spec)
        if named is None:
            return koko.PricePlan.preset(spec)
        spec = named
    return koko.PricePlan.from_json(json.dumps(spec))


def matches(expected: Any, got: Any) -> bool:
    """The scenario format's comparison: objects by the keys they name, lists item by item, the rest exactly."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(matches(v, got.get(k)) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(matches, expected, got))
    return expected == got


LEFT_OUT = object()  # the whole of an expectation was left out


def answered(expected: Any, got: Any, path: str = "") -> Tuple[Any, List[str]]:
    """``expected`` without the parts ``got`` leaves ``Unanswered`` (``LEFT_OUT`` if that is all of it), and the
    parts left out, with why."""
    if isinstance(got, Unanswered):
        return LEFT_OUT, [f"{path or 'the answer'}: {got.why}"]
    if isinstance(expected, dict) and isinstance(got, dict):
        kept: Dict[str, Any] = {}
        left: List[str] = []
        for key, value in expected.items():
            part, out = answered(value, got.get(key), f"{path}.{key}" if path else key)
            left += out
            if part is not LEFT_OUT:
                kept[key] = part
        return kept, left
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        items: List[Any] = []
        left = []
        for index, (value, item) in enumerate(zip(expected, got)):
            part, out = answered(value, item, f"{path}[{index}]")
            left += out
            items.append(item if part is LEFT_OUT else part)
        return items, left
    return expected, []


def shown(value: Any) -> str:
    """An answer as JSON, its unanswered parts spelled out."""
    return json.dumps(value, default=lambda part: f"<not answered over HTTP: {part.why}>")


class Runner:
    """A scenario's calls over HTTP, as staff, answered in the scenario format."""

    def __init__(self, api: Api) -> None:
        self.api = api
        # Blocks that ended before the server's clock, which a block over HTTP starts at (see ``block``):
        # customer → the end the runner lifts them at.
        self.block_ends: Dict[int, datetime] = {}
        self.notes: List[str] = []  # what the runner emulated in the step, for the scenario's warning

    # --- HTTP ------------------------------------------------------------------------------------------------------

    def send(self, method: str, url: str, body: Optional[Dict[str, Any]] = None, key: Optional[str] = None) -> Any:
        """A step's call: its JSON answer, or ``Refused`` with the API's error answer."""
        headers = {"Idempotency-Key": key} if key is not None else None
        if method in ("get", "delete"):
            response = getattr(self.api, method)(url, headers=headers)
        else:
            response = getattr(self.api, method)(url, body, headers=headers)
        if not 200 <= response.status_code < 300:
            raise Refused(method, url, response)
        return response.data

    def read(self, url: str) -> Any:
        """A read that completes a step's answer: it must succeed."""
        response = self.api.get(url)
        assert response.status_code == 200, f"GET {url}: HTTP {response.status_code} {response.raw}"
        return response.data

    def open_rentals_csv(self) -> Dict[int, Dict[str, str]]:
        """The active-rentals CSV (streamed), by rental id."""
        response = self.api.client.get(
            "/reports/active-rentals.csv", headers={"Authorization": f"Token {self.api.token}"}
        )
        assert response.status_code == 200, f"GET /reports/active-rentals.csv: HTTP {response.status_code}"
        text = b"".join(response.streaming_content).decode()
        return {int(row["rental_id"]): row for row in csv.DictReader(io.StringIO(text))}

    # --- records ---------------------------------------------------------------------------------------------------

    def rental(self, data: Dict[str, Any]) -> Dict[str, Any]:
        """A rental (``RentalOutput``, or the renew answer with ``due_date`` and ``renewals``); its copy from its
        book's copies list, its due date from the active-rentals CSV while open."""
        copies = [c["id"] for c in self.read(f"/books/{data['book']}/copies/") if c["rental_id"] == data["id"]]
        row = self.open_rentals_csv().get(data["id"]) if data["rental_status"] == "Active" else None
        assert len(copies) <= 1, f"rental {data['id']} is named by copies {copies}"
        if data["rental_status"] == "Active":  # its copy is rented, and named by the CSV too
            assert row is not None and [int(row["copy_id"])] == copies, f"rental {data['id']}: {copies}, CSV {row}"
        answer: Dict[str, Any] = {
            "rental": data["id"],
            "copy": copies[0] if copies else Unanswered(NO_COPY),
            "book": data["book"],
            "customer": data["customer_id"],
            "rented_at": stamp(data["date_rented"]),
            "due_at": stamp(row["due_at"]) if row is not None else Unanswered(NO_DUE_DATE),
            "renewals": Unanswered(NO_RENEWALS),
            "returned_at": stamp(data["date_returned"]),
            "lost": data["rental_status"] == "Lost",
            "charge": data["amount_charged"],
        }
        if "renewals" in data:  # the renew answer: its due date is the CSV's
            assert row is None or answer["due_at"] == stamp(data["due_date"]), f"renewed {data} but the CSV has {row}"
            answer["due_at"] = stamp(data["due_date"])
            answer["renewals"] = [stamp(t) for t in data["renewals"]]
        return answer

    def receipt(self, data: Dict[str, Any]) -> Dict[str, Any]:
        return {**self.rental(data), "balance": data["balance"], "lines": Unanswered(NO_LINES)}

    @staticmethod
    def hold(data: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "hold": data["id"],
            "book": data["book_id"],
            "customer": data["customer_id"],
            "status": data["status"],
            "copy": data["copy_id"],
            "ready_until": stamp(data["ready_until"]),
            "position": data["position"],
            "rental": data["rental_id"],
            "closed_at": stamp(data["closed_at"]),
        }

    @staticmethod
    def entry(data: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "entry": data["id"],
            "kind": data["kind"],
            "amount": data["amount"],
            "balance": data["balance_after"],
            "rental": data["rental_id"],
            "note": data["note"],
        }

    @staticmethod
    def pairs(entries: List[Dict[str, Any]]) -> List[List[Any]]:
        return [[e["kind"], e["amount"]] for e in entries]

    def copy(self, data: Dict[str, Any]) -> Dict[str, Any]:
        """A copy (``CopyOutput``); on hold, the ready hold of its book's queue that names it."""
        answer: Dict[str, Any] = {"copy": data["id"], "book": data["book_id"], "status": data["status"]}
        if data["status"] in ("rented", "lost"):
            answer["rental"] = data["rental_id"]
        if data["status"] == "on_hold":
            queue = self.read(f"/books/{data['book_id']}/holds/")
            held = [h["id"] for h in queue if h["status"] == "ready" and h["copy_id"] == data["id"]]
            answer["hold"] = held[0] if len(held) == 1 else held
        return answer

    def find_copy(self, copy_id: int) -> Dict[str, Any]:
        """A copy, from its book's copies list (the API has no read of one copy)."""
        for book in self.read("/books/"):
            for c in self.read(f"/books/{book['id']}/copies/"):
                if c["id"] == copy_id:
                    return c
        raise AssertionError(f"no copy {copy_id} in any book's copies list")

    def blocked(self, customer_id: int) -> bool:
        return self.read(f"/customers/{customer_id}/account/")["block"] is not None

    # --- blocks that ended before the server's clock ---------------------------------------------------------------

    def lift_ended_blocks(self, a: Dict[str, Any]) -> None:
        """Before a step at or after the end of a block the runner could not give its end (see ``block``): lift it."""
        at = instant(a.get("at"))
        if at is None:
            return
        for customer, end in list(self.block_ends.items()):
            if at >= end:
                self.send("delete", f"/customers/{customer}/block/")
                del self.block_ends[customer]
                self.notes.append(
                    f"customer {customer}'s block ended at {stamp(end.isoformat())}: the runner lifted it "
                    f"(DELETE /customers/{customer}/block/) before this step, so koko's `until` is not what let it "
                    "through"
                )

    def block(self, a: Dict[str, Any], key: Optional[str]) -> Dict[str, Any]:
        """POST /customers/<id>/block/: the API blocks from the server's clock (it takes no ``at``, and koko checks a
        rent against the block's end only). A block whose ``until`` is before the server's clock cannot be placed
        over HTTP (400: until before the start): it is placed without an end, and lifted by the runner at the first
        step at or after ``until`` (``lift_ended_blocks``)."""
        customer = a["customer"]
        self.block_ends.pop(customer, None)
        body: Dict[str, Any] = {"reason": a["reason"]}
        until = instant(a.get("until"))
        if until is not None and until > datetime.now(timezone.utc):
            body["until"] = a["until"]
        elif until is not None:
            self.block_ends[customer] = until
            self.notes.append(
                f"a block until {a['until']} ends before the server's clock, where a block over HTTP starts: "
                "placed without an end, lifted by the runner at the first step at or after its end"
            )
        self.send("post", f"/customers/{customer}/block/", body, key)
        return {"blocked": self.blocked(customer)}

    def unblock(self, a: Dict[str, Any], key: Optional[str]) -> Dict[str, Any]:
        self.block_ends.pop(a["customer"], None)
        self.send("delete", f"/customers/{a['customer']}/block/", key=key)
        return {"blocked": self.blocked(a["customer"])}

    # --- the calls -------------------------------------------------------------------------------------------------

    def run(self, call: str, a: Dict[str, Any]) -> Any:
        """One step's call over HTTP, answered in the scenario format (``Unanswered`` for a call the API cannot
        make)."""
        key: Optional[str] = a.get("key")

        def at(name: str = "at", **body: Any) -> Dict[str, Any]:
            """A body with the step's instant (when it gives one) under the API's name, and the optional arguments
            given."""
            given = {field: value for field, value in body.items() if value is not None}
            return {**given, name: a["at"]} if "at" in a else given

        def add_book() -> Dict[str, Any]:
            assert "isbn" not in a, "the API's books have no ISBN: a scenario with one cannot run over HTTP"
            book = self.send(
                "post",
                "/books/",
                {
                    "title": a.get("title", ""),
                    "author": a.get("author", "A"),
                    "book_type": BOOK_TYPES.get(a["category"], a["category"]),
                    **({"copies": a["copies"]} if "copies" in a else {}),
                },
                key,
            )
            return {"book": book["id"], "copies": [c["id"] for c in self.read(f"/books/{book['id']}/copies/")]}

        def customer(data: Dict[str, Any]) -> Dict[str, Any]:
            return {"customer": data["id"], "active": data["is_active"]}

        def rent() -> Any:
            if "copy" in a:
                return Unanswered(NO_RENT_COPY)
            body = at("date_rented", book=a["book"])
            return self.rental(self.send("post", f"/customers/{a['customer']}/rentals/", body, key))

        def return_() -> Dict[str, Any]:
            damage = a.get("damage") or {}
            body = at("date_returned", damage_fee=damage.get("fee"), note=damage.get("note"))
            return self.receipt(self.send("put", f"/rentals/{a['rental']}/close/", body, key))

        def return_copy() -> Any:
            # The API returns rentals: the copy's open rental, from its book's copies list.
            found = self.find_copy(a["copy"])
            if found["status"] != "rented":
                return Unanswered("the API returns rentals, not copies: a copy that is not rented has no rental to "
                                  "return, and koko's error for it cannot be asked for over HTTP")
            return self.receipt(self.send("put", f"/rentals/{found['rental_id']}/close/", at("date_returned"), key))

        def place_hold() -> Dict[str, Any]:
            return self.hold(self.send("post", "/holds/", at(customer_id=a["customer"], book_id=a["book"]), key))

        def mark_found() -> Dict[str, Any]:
            found = self.send("post", f"/copies/{a['copy']}/found/", at(), key)
            return {**self.copy(found["copy"]), "credit": self.entry(found["credit"]) if found["credit"] else None}

        def posting(what: str, **body: Any) -> Dict[str, Any]:
            return self.entry(self.send("post", f"/customers/{a['customer']}/{what}/", at(**body), key))

        def account() -> Dict[str, Any]:
            acc = self.send("get", f"/customers/{a['customer']}/account/")
            blocked = acc["block"] is not None
            return {"balance": acc["balance"], "blocked": blocked, "entries": self.pairs(acc["entries"])}

        def statement() -> Dict[str, Any]:
            query = urlencode({"start": a["start"], "end": a["end"]})
            s = self.send("get", f"/customers/{a['customer']}/statement/?{query}")
            entries = self.pairs(s["entries"])
            return {"opening": s["opening_balance"], "closing": s["closing_balance"], "entries": entries}

        def aging() -> List[Dict[str, Any]]:
            rows = self.send("get", f"/reports/aged-balances/?{urlencode({'as_of': a['as_of']})}")
            return [
                {
                    "customer": row["customer_id"],
                    **{name: row[name] for name in AGES},
                }
                for row in rows
            ]

        calls: Dict[str, Callable[[], Any]] = {
            "add_book": add_book,
            "add_copies": lambda: {
                "copies": [
                    self.copy(c) for c in self.send("post", f"/books/{a['book']}/copies/", {"count": a["count"]}, key)
                ]
            },
            # The API withdraws and reinstates at the server's clock (the format allows a runner without ``at``).
            "withdraw": lambda: self.copy(self.send("post", f"/copies/{a['copy']}/withdraw/", {}, key)),
            "reinstate": lambda: self.copy(self.send("post", f"/copies/{a['copy']}/reinstate/", {}, key)),
            "register": lambda: customer(
                self.send(
                    "post",
                    "/customers/",
                    {"first_name": a["first_name"], "last_name": a["last_name"],
                     **({"email": a["email"]} if a.get("email") is not None else {})},
                    key,
                )
            ),
            "deactivate": lambda: customer(
                self.send("patch", f"/customers/{a['customer']}/", {"is_active": False}, key)
            ),
            "activate": lambda: customer(self.send("patch", f"/customers/{a['customer']}/", {"is_active": True}, key)),
            "rent": rent,
            "return": return_,
            "return_copy": return_copy,
            "declare_lost": lambda: self.receipt(self.send("post", f"/rentals/{a['rental']}/lost/", at(), key)),
            "renew": lambda: self.rental(self.send("post", f"/rentals/{a['rental']}/renew/", at(), key)),
            "place_hold": place_hold,
            "cancel_hold": lambda: self.hold(self.send("post", f"/holds/{a['hold']}/cancel/", at(), key)),
            "expire_holds": lambda: {"expired": [h["id"] for h in self.send("post", "/holds/expire/", at())]},
            "mark_found": mark_found,
            "pay": lambda: posting("payments", amount=a["amount"], note=a.get("note"), currency=a.get("currency")),
            "waive": lambda: posting("waivers", amount=a["amount"], reason=a["reason"]),
            "refund": lambda: posting("refunds", amount=a["amount"], reason=a["reason"]),
            "fee": lambda: posting("fees", amount=a["amount"], reason=a["reason"], rental_id=a.get("rental")),
            "block": lambda: self.block(a, key),
            "unblock": lambda: self.unblock(a, key),
            "mark_notified": lambda: Unanswered(NO_MARK_NOTIFIED),
            "rental": lambda: self.rental(self.send("get", f"/rentals/{a['rental']}/")),
            "open_rentals": lambda: {"rentals": [self.rental(r) for r in self.send("get", "/rentals/?status=active")]},
            "copy": lambda: self.copy(self.find_copy(a["copy"])),
            "hold": lambda: self.hold(self.send("get", f"/holds/{a['hold']}/")),
            "book_holds": lambda: {"holds": [self.hold(h) for h in self.send("get", f"/books/{a['book']}/holds/")]},
            "customer_holds": lambda: {
                "holds": [self.hold(h) for h in self.send("get", f"/customers/{a['customer']}/holds/")]
            },
            "account": account,
            "statement": statement,
            "aging": aging,
            "notices": lambda: Unanswered(NO_NOTICES_AT),
        }
        assert call in calls, f"the scenarios use a call this runner does not know: {call}"
        return calls[call]()


def api_field(call: str, field: str) -> str:
    """koko's name of a field → the API's, for this call."""
    return CALL_FIELDS.get(call, {}).get(field) or API_FIELDS.get(field, field)


def check_refusal(what: str, call: str, error: Dict[str, Any], response: Any) -> Optional[str]:
    """The API's error answer must be the one ``ERRORS`` maps the step's koko error to, naming its field; answers
    what was not checked, if anything."""
    kind, field = error["kind"], error.get("field")
    row = ERRORS.get(f"{kind} {field}") or ERRORS.get(kind)
    assert row is not None, f"{what}: ERRORS has no HTTP answer for koko's {kind}"
    status, names, detail = row
    body = response.data if isinstance(response.data, dict) else {}
    expected = f"HTTP {status} for {kind}" + (f" naming {field!r}" if field else "")
    got = f"HTTP {response.status_code} {response.raw}"
    assert response.status_code == status, f"{what}\n  expected {expected}\n  got      {got}"
    if detail is not None:
        assert body.get("detail") == detail, f"{what}\n  expected {expected}: {detail!r}\n  got      {got}"
    if field is None:
        return None
    if names == "rule":
        assert body.get("rule") == field, f"{what}\n  expected {expected} (rule)\n  got      {got}"
    elif names == "key":
        name = api_field(call, field)
        assert name in body, f"{what}\n  expected {expected} (the API's {name!r})\n  got      {got}"
    else:
        return f"the field {field!r}: the API's answer to {kind} names no field"
    return None


def call_of(step: Dict[str, Any]) -> str:
    calls = [k for k in step if k not in ("expect", "error", "note")]
    assert len(calls) == 1, f"a step names one call: {step}"
    return calls[0]


def run_scenario(file: str, scenario: Dict[str, Any], api: Api) -> List[str]:
    """Runs a scenario's steps over HTTP on the store in use; answers the checks it left out, with why."""
    runner = Runner(api)
    unchecked: List[str] = []
    for number, step in enumerate(scenario["steps"], start=1):
        call = call_of(step)
        if call == "reopen":
            continue  # the server keeps its store
        what = f"{file}.json / {scenario['name']} / step {number}: {json.dumps(step)}"
        runner.notes = []
        runner.lift_ended_blocks(step[call])
        try:
            got = runner.run(call, step[call])
        except Refused as refused:
            if "error" not in step:
                pytest.fail(f"{what}\n  expected {json.dumps(step.get('expect'))}\n  got      {refused}")
            left = check_refusal(what, call, step["error"], refused.response)
            unchecked += [f"step {number} ({call}): {left}"] if left else []
        else:
            if isinstance(got, Unanswered):
                unchecked.append(f"step {number} ({call}): not made: {got.why}")
            elif "error" in step:
                error = json.dumps(step["error"])
                pytest.fail(f"{what}\n  expected the HTTP answer to {error}\n  got      {shown(got)}")
            elif "expect" in step:
                checked, left = answered(step["expect"], got)
                unchecked += [f"step {number} ({call}): {part}" for part in left]
                expected = json.dumps(step["expect"])
                if checked is not LEFT_OUT:
                    assert matches(checked, got), f"{what}\n  expected {expected}\n  got      {shown(got)}"
        unchecked += [f"step {number} ({call}): {note}" for note in runner.notes]
    return unchecked


@pytest.mark.parametrize(
    "file,doc,scenario", CASES, ids=[f"{file}: {scenario['name']}" for file, _, scenario in CASES]
)
def test_scenario(file: str, doc: Dict[str, Any], scenario: Dict[str, Any], api: Api) -> None:
    """One scenario on a fresh store with its plan in force from 1970 (as ``BookStore.memory(plan=…)`` gives)."""
    previous = koko_store.use_store(koko.BookStore.memory(plan=plan_of(doc, scenario["plan"])))
    try:
        unchecked = run_scenario(file, scenario, api)
    finally:
        koko_store.use_store(previous)
    if unchecked:
        warnings.warn(
            NotCheckedOverHttp(
                f"{file}.json / {scenario['name']}: {len(unchecked)} checks not made over HTTP:\n  "
                + "\n  ".join(unchecked)
            )
        )


def test_every_file_has_scenarios() -> None:
    assert {path.stem for path in FILES} >= {"circulation", "ledger", "notices", "renewals"}
    assert all(json.loads(path.read_text())["scenarios"] for path in FILES)


def test_every_error_kind_of_the_scenarios_has_an_http_answer() -> None:
    kinds = {step["error"]["kind"] for _, _, scenario in CASES for step in scenario["steps"] if "error" in step}
    assert kinds <= set(ERRORS), f"ERRORS has no HTTP answer for {sorted(kinds - set(ERRORS))}"

"""Checks koko's tables in PostgreSQL against what the load test saw acknowledged.

    python deploy/verify.py postgresql://postgres@127.0.0.1:PORT/koko acks.jsonl [more.jsonl …]

- every rent answered 201 exists, for that customer and book (else: lost);
- every return answered 200 is closed with the charge it answered (else: lost);
- no copy has two open rentals, and no copy's rentals overlap in time by more than a lock wait (else: a double
  rental);
- every copy marked rented points at its one open rental, and every open rental's copy points back.

Reads the acknowledgement files first, then the database, so everything read was committed before the queries
ran (a load still running only adds rentals the check does not look for). Prints one line; exits 1 on a problem.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from decimal import Decimal

import psycopg

OPEN_TWICE = """SELECT count(*) FROM (SELECT copy_id FROM koko_rentals WHERE returned_at IS NULL
                                    GROUP BY copy_id HAVING count(*) > 1) AS twice"""
# Each copy's rentals in the order they began, and how long each overlaps the one before (infinite if that one is
# still open). A rent is timestamped when koko receives it, before it waits for the copy's row lock, so a rent
# that waited for the previous return's commit can begin a few milliseconds before that return's timestamp: the
# database had one open rental at a time (the unique index says so), only the timestamps overlap. An overlap
# longer than SLACK cannot be such a wait and counts as a double rental.
SLACK_SECONDS = 1.0
OVERLAPS = """SELECT count(*) FILTER (WHERE overlap > %(slack)s),
                     count(*) FILTER (WHERE overlap > 0 AND overlap <= %(slack)s),
                     coalesce(max(overlap) FILTER (WHERE overlap > 0 AND overlap <= %(slack)s), 0)
              FROM (SELECT CASE WHEN previous_end IS NULL THEN 'Infinity'::float8
                                ELSE EXTRACT(EPOCH FROM previous_end - rented_at)::float8 END AS overlap
                    FROM (SELECT rented_at, lag(id) OVER w AS previous, lag(returned_at) OVER w AS previous_end
                          FROM koko_rentals WINDOW w AS (PARTITION BY copy_id ORDER BY rented_at, id)) AS s
                    WHERE previous IS NOT NULL) AS o"""
COPY_LINKS = """SELECT count(*) FROM koko_copies c
                FULL JOIN (SELECT id, copy_id FROM koko_rentals WHERE returned_at IS NULL) r ON r.copy_id = c.id
                WHERE c.rental_id IS DISTINCT FROM r.id"""


@dataclass
class Report:
    rents: int = 0
    closes: int = 0
    lost_rents: int = 0
    lost_closes: int = 0
    open_twice: int = 0
    overlaps: int = 0
    lock_waits: int = 0
    lock_wait_max_ms: float = 0.0
    bad_links: int = 0
    rentals: int = 0

    @property
    def lost(self) -> int:
        return self.lost_rents + self.lost_closes

    @property
    def double(self) -> int:
        return self.open_twice + self.overlaps

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.double == 0 and self.bad_links == 0

    def line(self) -> str:
        return (f"verify: {self.rents} acknowledged rents and {self.closes} returns checked against "
                f"{self.rentals} rentals in PostgreSQL: {self.lost} lost, {self.double} double rentals "
                f"({self.open_twice} copies open twice, {self.overlaps} overlapping by more than {SLACK_SECONDS:g} s), "
                f"{self.bad_links} copy/rental links broken; {self.lock_waits} rents timestamped before the "
                f"previous return (at most {self.lock_wait_max_ms:.0f} ms: a wait for its commit)")


def read_acks(paths) -> tuple[dict, dict]:
    rents, closes = {}, {}
    for path in paths:
        with open(path) as lines:
            for line in lines:
                if not line.endswith("\n"):
                    continue  # a line being written right now: the next check reads it
                record = json.loads(line)
                if record["op"] == "rent":
                    rents[record["rental"]] = record
                elif record["op"] == "close":
                    closes[record["rental"]] = record
    return rents, closes


def verify(url: str, ack_paths) -> Report:
    rents, closes = read_acks(ack_paths)
    report = Report(rents=len(rents), closes=len(closes))
    with psycopg.connect(url, connect_timeout=10, autocommit=True) as conn:
        ids = list(rents.keys() | closes.keys())
        rows = {row[0]: row for row in conn.execute(
            "SELECT id, customer_id, book_id, returned_at IS NOT NULL, charge_total FROM koko_rentals "
            "WHERE id = ANY(%s)", (ids,))}
        for rental, record in rents.items():
            row = rows.get(rental)
            if row is None or row[1] != record["customer"] or row[2] != record["book"]:
                report.lost_rents += 1
        for rental, record in closes.items():
            row = rows.get(rental)
            if row is None or not row[3] or row[4] != Decimal(record["amount"]):
                report.lost_closes += 1
        report.open_twice = conn.execute(OPEN_TWICE).fetchone()[0]
        report.overlaps, report.lock_waits, wait = conn.execute(OVERLAPS, {"slack": SLACK_SECONDS}).fetchone()
        report.lock_wait_max_ms = wait * 1000
        report.bad_links = conn.execute(COPY_LINKS).fetchone()[0]
        report.rentals = conn.execute("SELECT count(*) FROM koko_rentals").fetchone()[0]
    return report


def main(argv) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    report = verify(argv[0], argv[1:])
    print(report.line())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Koko's Python binding vs a pure-Python ``decimal.Decimal`` implementation of story 3, measured side by side.

Prints the time per quote of each and the ratios: koko per call (``quote_days``), koko in batch (``quote_many``).
``--quick`` runs a small smoke test (no timing claims). Both sides must agree on every total before timing.

    python benches/compare/python_quotes.py [--quick] [--n 200000]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal
from typing import Callable, List, Sequence

import koko
from story3_reference import story3_pure

def best_of(repeats: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--n", type=int, default=200_000, help="quotes per measurement")
    args = parser.parse_args()
    n = 2_000 if args.quick else args.n
    repeats = 1 if args.quick else 5

    plan = koko.PricePlan.story3()
    kinds = ["regular", "fiction", "novel"]
    categories: List[str] = [kinds[i % 3] for i in range(n)]
    days: List[int] = [i % 45 for i in range(n)]

    expected = [story3_pure(c, d) for c, d in zip(categories, days)]
    assert plan.quote_many(categories, days) == expected, "koko and the pure-Python story 3 disagree"
    assert [plan.quote_days(c, d).total for c, d in zip(categories[:500], days[:500])] == expected[:500]

    def pure() -> Sequence[Decimal]:
        return [story3_pure(c, d) for c, d in zip(categories, days)]

    def per_call() -> Sequence[Decimal]:
        return [plan.quote_days(c, d).total for c, d in zip(categories, days)]

    def batch() -> Sequence[Decimal]:
        return plan.quote_many(categories, days)

    t_pure, t_call, t_batch = (best_of(repeats, f) for f in (pure, per_call, batch))
    ns = lambda t: t / n * 1e9  # noqa: E731
    print(f"story 3, {n:,} quotes, best of {repeats} (one run, side by side):")
    print(f"  pure Python decimal   {ns(t_pure):8.0f} ns/quote   1.00x")
    print(f"  koko quote_days       {ns(t_call):8.0f} ns/quote   {t_pure / t_call:5.2f}x  (full quote with lines)")
    print(f"  koko quote_many       {ns(t_batch):8.0f} ns/quote   {t_pure / t_batch:5.2f}x  (totals, one call)")
    if args.quick:
        print("  (--quick: a smoke run; the figures mean nothing)")


if __name__ == "__main__":
    main()

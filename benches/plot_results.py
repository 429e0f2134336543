#!/usr/bin/env python3
"""Draws ``benches/results.png`` from the last criterion run: the price of one quote, and storage throughputs.

Reads the median of each benchmark from ``target/criterion/<group>/<bench>/new/estimates.json`` (so run the
criterion benches first) and needs matplotlib:

    python3 -m venv target/plot-venv && target/plot-venv/bin/pip install matplotlib
    target/plot-venv/bin/python benches/plot_results.py [--criterion target/criterion] [--out benches/results.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter  # noqa: E402

QUOTES = [
    ("total_for_days/story3_regular", "story 3 total (compiled)"),
    ("quote_days/story3/regular", "story 3 quote with lines"),
    ("quote_days/story1/regular", "story 1 quote with lines"),
    ("quote/story3", "quote between two instants"),
    ("quote/late_fee", "... with a late fee"),
    ("quote/calendar_berlin", "... calendar days, Berlin"),
]
STORAGE = [
    ("rent_return_memory", "memory"),
    ("rent_return_sled_interval_500ms", "sled,\ninterval flush"),
    ("rent_return_sled_flush_every_commit", "sled, flush\nevery commit"),
    ("rent_return_postgres", "PostgreSQL"),
]


def median_ns(root: Path, bench: str) -> Optional[float]:
    """The median time of one iteration, in nanoseconds, or None if the benchmark has not run."""
    path = root / bench / "new" / "estimates.json"
    if not path.exists():
        return None
    return float(json.loads(path.read_text())["median"]["point_estimate"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--criterion", type=Path, default=Path("target/criterion"))
    parser.add_argument("--out", type=Path, default=Path("benches/results.png"))
    args = parser.parse_args()

    quotes: List[Tuple[str, float]] = []
    for bench, label in QUOTES:
        ns = median_ns(args.criterion, bench)
        if ns is not None:
            quotes.append((label, ns))
    storage: Dict[str, Tuple[float, float]] = {}
    for group, label in STORAGE:
        one, eight = (median_ns(args.criterion, f"{group}/{t}_threads") for t in (1, 8))
        if one is not None and eight is not None:
            storage[label] = (1e9 / one, 1e9 / eight)

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    labels = [label for label, _ in quotes]
    left.barh(labels, [ns for _, ns in quotes], color="#3b7dd8")
    left.invert_yaxis()
    left.set_xscale("log")
    left.set_xlim(10, 2000)
    left.xaxis.set_major_locator(FixedLocator([10, 25, 100, 250, 1000]))
    left.xaxis.set_major_formatter(ScalarFormatter())
    left.xaxis.set_minor_formatter(NullFormatter())
    left.set_xlabel("median time per call (ns, log scale)")
    left.set_title("The price of one quote (Rust, criterion)")
    left.axvline(25, color="#c0392b", linestyle="--", label="target: 25 ns")
    left.legend(loc="lower right")
    for y, (_, ns) in enumerate(quotes):
        left.text(ns * 1.05, y, f"{ns:,.0f} ns", va="center", fontsize=8)

    names = list(storage)
    xs = range(len(names))
    width = 0.38
    right.bar([x - width / 2 for x in xs], [storage[n][0] for n in names], width, label="1 thread", color="#3b7dd8")
    right.bar([x + width / 2 for x in xs], [storage[n][1] for n in names], width, label="8 threads", color="#e67e22")
    right.set_xticks(list(xs))
    right.set_xticklabels(names, fontsize=8)
    right.set_yscale("log")
    right.set_ylabel("rent+return cycles per second (log scale)")
    right.set_title("Storage throughput (rent + return)")
    right.legend()
    for x, n in zip(xs, names):
        for dx, rate in ((-width / 2, storage[n][0]), (width / 2, storage[n][1])):
            right.text(x + dx, rate * 1.08, f"{rate:,.0f}", ha="center", fontsize=7)

    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}: {len(quotes)} quote benchmarks, {len(storage)} storage backends")


if __name__ == "__main__":
    main()

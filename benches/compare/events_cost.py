"""What the event feed costs the write path: rent+return cycles before and after events, side by side in one run.

Builds ``benches/examples/cycle_cost.rs`` twice — at this checkout and at the last commit before events were
written with every change (``--before``, a git worktree under target/) — then runs the two binaries in turns,
alternating which goes first, so both sides see the same machine load. Prints each configuration's median cycles
per second on both sides and the ratio (after / before). On durable sled (1 and 8 clients) always; on PostgreSQL
(1 and 8 clients) when ``KOKO_BENCH_POSTGRES`` names a server.

    KOKO_BENCH_POSTGRES="host=127.0.0.1 port=… user=postgres dbname=postgres" python3 benches/compare/events_cost.py
    python3 benches/compare/events_cost.py --rounds 3 --seconds 2        # shorter

``--quick`` builds both and runs each configuration once for one second: a smoke run, no timing claim.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[2]
# The parent of 661ed27 ("Write events with every change, in the same atomic step, on every backend").
BEFORE_EVENTS = "cbca8f9"
EXAMPLE = Path("benches/examples/cycle_cost.rs")


def build(checkout: Path, out: Path) -> Path:
    """Builds the cycle_cost example in ``checkout`` (sharing this checkout's target/ for the dependencies) and
    copies the binary to ``out``."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target"))
    features = ["--features", "postgres"]
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "koko-benches", *features, "--example", "cycle_cost"],
        cwd=checkout,
        env=env,
        check=True,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "target" / "release" / "examples" / "cycle_cost", out)
    return out


def before_checkout(rev: str) -> Path:
    """A worktree of ``rev`` under target/ with this checkout's cycle_cost.rs copied in (it uses only API the older
    commit has)."""
    tree = ROOT / "target" / f"events-before-{rev}"
    if not tree.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=ROOT, check=True)
    shutil.copy2(ROOT / EXAMPLE, tree / EXAMPLE)
    return tree


def run(binary: Path, seconds: int, configs: List[str]) -> Dict[str, float]:
    answer = subprocess.run([str(binary), str(seconds), *configs], check=True, capture_output=True, text=True)
    rates = {}
    for line in answer.stdout.splitlines():
        name, config, value = line.split()
        if name == "cycles_per_second":
            rates[config] = float(value)
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE_EVENTS, help="the commit to compare with (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="turns of each side (default: %(default)s)")
    parser.add_argument("--seconds", type=int, default=3, help="seconds per configuration (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="one round of one second: a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 1, 1
    configs = ["sled-1", "sled-8"]
    if os.environ.get("KOKO_BENCH_POSTGRES"):
        configs += ["postgres-1", "postgres-8"]
    out = ROOT / "target" / "events-cost"
    print(f"building cycle_cost at {args.before} (before events) and at this checkout (after)", flush=True)
    before = build(before_checkout(args.before), out / "before")
    after = build(ROOT, out / "after")
    samples: Dict[str, Dict[str, List[float]]] = {"before": {}, "after": {}}
    for turn in range(args.rounds):
        order = [("before", before), ("after", after)]
        if turn % 2:
            order.reverse()
        for side, binary in order:
            for config, rate in run(binary, args.seconds, configs).items():
                samples[side].setdefault(config, []).append(rate)
        print(f"round {turn + 1} of {args.rounds} done", flush=True)
    print(f"rent+return cycles per second, median of {args.rounds} turns of {args.seconds} s, side by side:")
    print(f"  {'configuration':<14} {'before':>10} {'after':>10} {'after/before':>13}")
    worst = None
    for config in configs:
        b = statistics.median(samples["before"][config])
        a = statistics.median(samples["after"][config])
        ratio = a / b
        worst = ratio if worst is None else min(worst, ratio)
        print(f"  {config:<14} {b:>10.1f} {a:>10.1f} {ratio:>12.3f}x")
    if args.quick:
        print("quick run: both sides built and ran; no timing claim")
    else:
        print(f"slowest configuration keeps {worst:.1%} of its speed before events (target: at least 90.9%, ≤10 % slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

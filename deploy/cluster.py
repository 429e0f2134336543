"""A production-shaped Koko cluster on 127.0.0.1, under load and faults. Run it through deploy/cluster.sh, which
installs what it needs, bounds the run in time and stops everything on exit (this file stops everything too).

    cluster.sh quick            the short test (scripts/test): one load run with every fault, one summary line
    cluster.sh full [--out F]   the measurements of SCALING.md: 1, 2 and 4 app servers with and without the
                                replica, the catalogue cache off and on, then the faults with a longer load
    cluster.sh up               start everything, print the addresses, wait for Ctrl-C

The cluster: a PostgreSQL primary and its streaming replica (pg_basebackup -R, hot standby), Redis (throttle
counters, sessions, the optional catalogue cache), N gunicorn app servers of examples/django-api (koko and Django's
tables on the primary; the replica for listings and search through KOKO_STORE_REPLICA), HAProxy in front with
health checks on /health/, and locust (deploy/locustfile.py) as the customers. deploy/verify.py checks PostgreSQL
after each fault: nothing acknowledged lost, no copy rented twice.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from cluster_servers import DEPLOY, Cluster, Settings, log
from verify import verify


# -- load runs -------------------------------------------------------------------------------------------------

@dataclass
class Event:
    start: float
    ms: float
    name: str
    status: int
    hit: bool = False

    @property
    def end(self) -> float:
        return self.start + self.ms / 1000

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 500

    @property
    def kind(self) -> str:
        if "rent" in self.name or "close" in self.name:
            return "write"
        if self.name.startswith("/books/"):
            return "catalogue"
        return "account"


@dataclass
class Run:
    tag: str
    events: list
    acks: Path
    t0: float
    window: tuple
    cpu: dict = field(default_factory=dict)
    faults: list = field(default_factory=list)

    def measured(self) -> list:
        lo, hi = self.window
        return [e for e in self.events if lo <= e.start < hi]

    def stats(self, kind: str | None = None) -> dict:
        events = [e for e in self.measured() if kind is None or e.kind == kind]
        lo, hi = self.window
        times = sorted(e.ms for e in events)

        def pct(p):
            return times[min(len(times) - 1, int(p / 100 * len(times)))] if times else float("nan")

        return {"requests": len(events), "rps": len(events) / (hi - lo), "failed": sum(e.failed for e in events),
                "p50": pct(50), "p95": pct(95), "p99": pct(99),
                "hits": sum(e.hit for e in events) / len(events) if events else 0.0}


def read_events(path: Path) -> list:
    events = []
    if path.exists():
        for line in path.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 5:
                events.append(Event(float(parts[0]), float(parts[1]), parts[2], int(parts[3]), parts[4] == "hit"))
    return events


def load(cluster: Cluster, state: Path, tag: str, users: int, seconds: int, warmup: float = 5,
         faults=None) -> Run:
    """locust for ``seconds`` with ``users`` customers; ``faults(cluster, t0)`` runs meanwhile (then returns)."""
    events, acks = cluster.work / f"{tag}.events", cluster.work / f"{tag}.acks"
    env = {**os.environ, "KOKO_CLUSTER_STATE": str(state), "KOKO_EVENTS": str(events), "KOKO_ACKS": str(acks)}
    command = [sys.executable, "-m", "locust", "-f", DEPLOY / "locustfile.py", "--headless", "-u", users, "-r", users,
               "-t", f"{seconds}s", "--host", cluster.url, "--only-summary", "--stop-timeout", "5",
               "--loglevel", "WARNING"]
    proc = cluster.spawn("locust", command, env=env, cwd=DEPLOY)
    t0 = time.time()
    window = (t0 + warmup, t0 + seconds - 1)
    run_ = Run(tag, [], acks, t0, window)
    if faults is not None:
        run_.faults = faults(cluster, t0)
    else:
        time.sleep(max(0.0, window[0] - time.time()))
        before = cluster.cpu_seconds()
        time.sleep(max(0.0, window[1] - time.time()))
        after = cluster.cpu_seconds()
        run_.cpu = {name: (after[name] - before.get(name, 0)) / (window[1] - window[0]) for name in after}
    try:
        proc.wait(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        pass
    cluster.stop("locust")
    run_.events = read_events(events)
    return run_


# -- faults ----------------------------------------------------------------------------------------------------

@dataclass
class Fault:
    name: str
    at: float  # when it was injected
    healed: float  # when the broken part was back (or the fault otherwise over)
    until: float = 0.0  # the end of its window (the next fault, or the end of the load)
    notes: dict = field(default_factory=dict)
    verify: object = None

    def window(self, events) -> list:
        return [e for e in events if self.at <= e.end < self.until]

    def failures(self, events) -> list:
        return [e for e in self.window(events) if e.failed]

    def statuses(self, events) -> dict:
        counts = {}
        for e in self.failures(events):
            counts[e.status] = counts.get(e.status, 0) + 1
        return dict(sorted(counts.items()))

    def recovery(self, events) -> float:
        """Seconds from the fault until the last failure it caused (0: none failed)."""
        failed = self.failures(events)
        return max(e.end for e in failed) - self.at if failed else 0.0


def sleep_until(t: float) -> None:
    time.sleep(max(0.0, t - time.time()))


def verify_now(cluster: Cluster, fault: Fault) -> None:
    acks = sorted(cluster.work.glob("*.acks"))
    fault.verify = verify(cluster.db, acks)
    log(f"after '{fault.name}': {fault.verify.line()}")


def fault_schedule(spacing: float, primary_down: float):
    """Kill -9 an app server, stop the replica, restart the primary: each ``spacing`` seconds apart, each followed
    by the check against PostgreSQL once it has healed."""

    def faults(cluster: Cluster, t0: float) -> list:
        done = []
        pids_before = cluster.app_pids()

        # 1. kill -9 app server 1 (master and workers: a crashed machine) — HAProxy routes around it.
        sleep_until(t0 + spacing)
        victim = cluster.procs["app1"]
        fault = Fault("app server killed (kill -9)", time.time(), 0)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        cluster.procs.pop("app1")
        cluster.note_pids()
        log("fault: app server 1 killed with SIGKILL")
        down_seen = None
        deadline = time.time() + spacing * 0.4
        while time.time() < deadline:
            if not cluster.server_states().get("app1", "UP").startswith("UP"):
                down_seen = time.time()
                break
            time.sleep(0.1)
        fault.notes["marked down after"] = (down_seen - fault.at) if down_seen else None
        sleep_until(fault.at + spacing * 0.4)
        cluster.start_app(0)
        restarted = time.time()
        while not cluster.server_states().get("app1", "").startswith("UP") and time.time() < restarted + 20:
            time.sleep(0.1)
        fault.healed = time.time()
        fault.notes["restarted, back in rotation after"] = fault.healed - restarted
        log(f"app server 1 restarted; back in HAProxy's rotation {fault.healed - restarted:.1f} s later")
        verify_now(cluster, fault)
        done.append(fault)

        # 2. the replica stops — listings and search fall back to the primary.
        sleep_until(t0 + 2 * spacing)
        clients = cluster.replica_clients()
        fault = Fault("replica stopped", time.time(), 0)
        fault.notes["koko connections on the replica before"] = clients
        cluster.pg_stop("replica", mode="fast")
        log("fault: replica stopped")
        sleep_until(fault.at + spacing * 0.5)
        cluster.pg_start("replica")
        fault.healed = time.time()
        log("replica started again")
        verify_now(cluster, fault)
        done.append(fault)

        # 3. the primary restarts — requests fail cleanly (503) while it is down, succeed after, same app servers.
        sleep_until(t0 + 3 * spacing)
        fault = Fault("primary restarted", time.time(), 0)
        cluster.pg_stop("primary", mode="fast")
        log(f"fault: primary stopped (fast shutdown); down for {primary_down:.0f} s")
        sleep_until(fault.at + primary_down)
        cluster.pg_start("primary")
        fault.healed = time.time()
        fault.notes["down for"] = fault.healed - fault.at
        log("primary started again")
        verify_now(cluster, fault)
        after = cluster.app_pids()
        fault.notes["app servers restarted"] = sum(after.get(n) != p for n, p in pids_before.items() if n != "app1")
        done.append(fault)
        return done

    return faults


def close_windows(run_: Run, end: float) -> None:
    """Each fault's window runs to the next fault; the primary's restart also notes how soon it served again."""
    for fault, following in zip(run_.faults, run_.faults[1:] + [None]):
        fault.until = following.at if following else end
    primary = run_.faults[-1]
    failed = primary.failures(run_.events)
    if failed:
        primary.notes["failures ended after it was back"] = max(0.0, max(e.end for e in failed) - primary.healed)
    writes = [json.loads(line)["t"] for line in run_.acks.read_text().splitlines()]
    later = [t for t in writes if t > primary.healed]
    if later:
        primary.notes["first write acknowledged after it was back"] = min(later) - primary.healed


def writes_after(run_: Run, t: float) -> int:
    acks = []
    for line in run_.acks.read_text().splitlines():
        record = json.loads(line)
        if record["t"] > t:
            acks.append(record)
    return len(acks)


def fault_table(run_: Run) -> list:
    lines = ["| fault | requests in its window | failed | failures by status | recovery | notes | check after it |",
             "|---|---|---|---|---|---|---|"]
    for fault in run_.faults:
        window = fault.window(run_.events)
        statuses = ", ".join(f"{s or 'no answer'}: {n}" for s, n in fault.statuses(run_.events).items()) or "—"
        notes = "; ".join(f"{k} {v:.1f} s" if isinstance(v, float) else f"{k}: {v}" for k, v in fault.notes.items())
        check = f"{fault.verify.lost} lost, {fault.verify.double} double" if fault.verify else "—"
        lines.append(f"| {fault.name} | {len(window)} | {len(fault.failures(run_.events))} | {statuses} | "
                     f"{fault.recovery(run_.events):.1f} s after the fault | {notes} | {check} |")
    return lines


# -- commands --------------------------------------------------------------------------------------------------

def build(work: Path, books: int, customers: int, workers: int, threads: int) -> tuple[Cluster, Path]:
    cluster = Cluster(work, workers, threads)
    cluster.start_databases()
    cluster.start_redis()
    cluster.seed(books=books, hot=16, customers=customers)
    cluster.start_apps(1, Settings())
    cluster.start_haproxy(1)
    state = cluster.write_state()
    return cluster, state


def faults_run(cluster: Cluster, state: Path, users: int, spacing: float, primary_down: float, servers: int,
               settings: Settings) -> tuple[Run, object]:
    cluster.start_apps(servers, settings)
    cluster.start_haproxy(servers)
    seconds = int(spacing * 4)
    run_ = load(cluster, state, "faults", users, seconds, faults=fault_schedule(spacing, primary_down))
    close_windows(run_, run_.t0 + seconds + 5)
    final = verify(cluster.db, sorted(cluster.work.glob("*.acks")))
    log(f"after the load: {final.line()}")
    return run_, final


def check_faults(run_: Run, final) -> list:
    """What must hold; each problem as a sentence."""
    problems = []
    for fault in run_.faults:
        if fault.verify is None or not fault.verify.ok:
            problems.append(f"the check after '{fault.name}' failed")
        if 500 in fault.statuses(run_.events):
            problems.append(f"'{fault.name}' answered 500s")
    primary = run_.faults[-1]
    if writes_after(run_, primary.healed) == 0:
        problems.append("no write was acknowledged after the primary came back")
    if primary.notes.get("app servers restarted"):
        problems.append("an app server restarted during the primary's restart")
    if not final.ok:
        problems.append("the final check failed")
    return problems


def summary_line(run_: Run, final) -> str:
    lo, hi = run_.t0, run_.t0 + 10_000
    total = [e for e in run_.events if lo <= e.start < hi]
    parts = []
    for fault, label in zip(run_.faults, ["app server killed", "replica stopped", "primary restarted"]):
        statuses = ", ".join(f"{n}× {s or 'no answer'}" for s, n in fault.statuses(run_.events).items())
        parts.append(f"{label} {len(fault.failures(run_.events))} failed" + (f" ({statuses})" if statuses else "")
                     + f", recovered in {fault.recovery(run_.events):.1f} s")
    return (f"cluster: {len(total)} requests, {sum(e.failed for e in total)} failed; " + "; ".join(parts)
            + f"; {final.rents} acknowledged rents and {final.closes} returns verified; {final.double} double "
            f"rentals; {final.lost} lost acknowledged operations")


def cmd_quick(args) -> int:
    cluster, state = build(args.work, books=400, customers=24, workers=2, threads=4)
    try:
        run_, final = faults_run(cluster, state, users=args.users or 10, spacing=12, primary_down=4, servers=2,
                                 settings=Settings(replica=True))
        print("\n".join(fault_table(run_)))
        problems = check_faults(run_, final)
        print(summary_line(run_, final))
        for problem in problems:
            print(f"cluster: FAILED: {problem}", file=sys.stderr)
        return 1 if problems else 0
    finally:
        cluster.close()


def fmt_row(label: str, stats: dict, base: float | None) -> str:
    ratio = f"{stats['rps'] / base:.2f}×" if base else "1.00×"
    return (f"| {label} | {stats['rps']:.0f} | {ratio} | {stats['p50']:.0f} | {stats['p95']:.0f} | "
            f"{stats['p99']:.0f} | {stats['failed']} |")


def cpu_row(label: str, cpu: dict) -> str:
    ours = sum(v for k, v in cpu.items() if k != "machine busy")
    other = max(0.0, cpu["machine busy"] - ours)
    return (f"| {label} | {cpu['app servers']:.2f} | {cpu['PostgreSQL primary']:.2f} | "
            f"{cpu['PostgreSQL replica']:.2f} | {cpu['HAProxy']:.2f} | {cpu['Redis']:.2f} | {cpu['locust']:.2f} | "
            f"{other:.2f} | {cpu['machine busy']:.2f} |")


def cmd_full(args) -> int:
    users, seconds = args.users or 24, args.seconds
    out = [f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')} on {os.cpu_count()} cores; load average before the run "
           f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1 / 5 / 15 min). {users} locust users without think "
           f"time, {seconds} s per configuration (the first 5 s not counted); each app server is gunicorn with "
           f"{args.workers} workers × {args.threads} threads. Latencies in ms.", ""]
    cluster, state = build(args.work, books=2000, customers=48, workers=args.workers, threads=args.threads)
    try:
        results, cpu = [], []
        for replica in (False, True):
            base = None
            for servers in (1, 2, 4):
                cluster.start_apps(servers, Settings(replica=replica))
                cluster.start_haproxy(servers)
                run_ = load(cluster, state, f"r{int(replica)}-s{servers}", users, seconds)
                stats = run_.stats()
                base = base or stats["rps"]
                label = f"{servers} app server{'s' if servers > 1 else ''}, {'with' if replica else 'no'} replica"
                if replica:
                    clients = cluster.replica_clients()
                    label += "" if clients else " (API not reading it)"
                results.append(fmt_row(label, stats, base))
                cpu.append(cpu_row(label, run_.cpu))
                log(results[-1])
        out += ["### Throughput and latency", "",
                "| configuration | requests/s | vs 1 server | p50 | p95 | p99 | failed |",
                "|---|---|---|---|---|---|---|",
                *results, "", "### Where the CPU goes (cores busy, averaged over the measured window)", "",
                "| configuration | app servers | primary | replica | HAProxy | Redis | locust | other processes | "
                "machine |", "|---|---|---|---|---|---|---|---|---|", *cpu, ""]

        cache_rows, cache_cpu, cache_base = [], [], None
        for cache_seconds in (0, 5):
            cluster.start_apps(2, Settings(cache_seconds=cache_seconds))
            cluster.start_haproxy(2)
            run_ = load(cluster, state, f"cache{cache_seconds}", users, seconds)
            label = f"2 app servers, catalogue cache {f'{cache_seconds} s' if cache_seconds else 'off'}"
            all_, cat = run_.stats(), run_.stats("catalogue")
            cache_base = cache_base or all_["rps"]
            cache_rows.append(f"| {label} | {all_['rps']:.0f} | {all_['rps'] / cache_base:.2f}× | {all_['p50']:.0f} | "
                              f"{all_['p95']:.0f} | {all_['p99']:.0f} | {cat['p50']:.0f} / {cat['p95']:.0f} | "
                              f"{cat['hits']:.0%} | {all_['failed']} |")
            cache_cpu.append(cpu_row(label, run_.cpu))
            log(cache_rows[-1])
        out += ["### The catalogue cache (anonymous GET /books/… in Redis)", "",
                "| configuration | requests/s | vs cache off | p50 | p95 | p99 | catalogue p50 / p95 | "
                "catalogue hits | "
                "failed |", "|---|---|---|---|---|---|---|---|---|", *cache_rows, "",
                "| configuration | app servers | primary | replica | HAProxy | Redis | locust | other processes | "
                "machine |", "|---|---|---|---|---|---|---|---|---|", *cache_cpu, ""]

        run_, final = faults_run(cluster, state, users=users, spacing=20, primary_down=8, servers=2,
                                 settings=Settings(replica=True))
        problems = check_faults(run_, final)
        out += ["### Faults under load (2 app servers, replica configured, "
                f"{users} users, 80 s: a fault every 20 s)", "", *fault_table(run_), "", "```",
                summary_line(run_, final), *[f"FAILED: {p}" for p in problems], "```", ""]
        text = "\n".join(out)
        print(text)
        if args.out:
            Path(args.out).write_text(text)
            log(f"tables written to {args.out}")
        return 1 if problems else 0
    finally:
        cluster.close()


def cmd_up(args) -> int:
    cluster, state = build(args.work, books=400, customers=24, workers=args.workers, threads=args.threads)
    try:
        cluster.start_apps(args.servers, Settings(replica=True))
        cluster.start_haproxy(args.servers)
        print(f"API: {cluster.url}/ (staff token {cluster.staff}); primary {cluster.db}; replica "
              f"{cluster.replica_db}; Redis redis://127.0.0.1:{cluster.ports['redis']}/0. Ctrl-C stops everything.",
              flush=True)
        # Blocked only now: children inherit the signal mask, and gunicorn must still hear SIGTERM.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        return 0
    finally:
        cluster.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["quick", "full", "up"])
    parser.add_argument("--work", type=Path, required=True, help="an empty folder the postgres user may write")
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=60, help="full: seconds of load per configuration")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app server")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--servers", type=int, default=2, help="up: app servers")
    parser.add_argument("--out", help="full: also write the tables to this file")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: stop everything
    return {"quick": cmd_quick, "full": cmd_full, "up": cmd_up}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())

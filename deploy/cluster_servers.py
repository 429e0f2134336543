"""The processes of deploy/cluster.py's cluster on 127.0.0.1: PostgreSQL primary and streaming replica, Redis,
the gunicorn app servers of examples/django-api and HAProxy in front, with their start, stop, health and CPU
accounting, and the catalogue the load runs against. deploy/cluster.py runs the load and the faults on it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import koko
import psutil

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
API = ROOT / "examples" / "django-api"
sys.path.insert(0, str(API / "tools"))
from live_api import free_port, server_env, staff_token  # noqa: E402


PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]
MAX_APPS = 4
ADJECTIVES = ["silent", "golden", "hidden", "broken", "distant", "burning", "crimson", "winter", "electric", "hollow",
              "wandering", "secret", "ancient", "fragile", "northern", "restless"]
NOUNS = ["garden", "river", "empire", "lighthouse", "orchard", "station", "mirror", "harbour", "forest", "kingdom",
         "library", "voyage", "machine", "island", "meadow", "cathedral"]
AUTHORS = ["Ada Brontë", "Émile Rousseau", "Tove Lindqvist", "Chinua Obi", "Marta Kowalska", "Haruki Sato",
           "Ines Duarte", "Lena Novak", "Omar Haddad", "Priya Raman"]


def log(message: str) -> None:
    print(f"[cluster {time.strftime('%H:%M:%S')}] {message}", flush=True)


def as_postgres(command: list) -> list:
    """PostgreSQL's tools refuse to run as root: run them as the postgres user then."""
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + [str(part) for part in command]


def run(command: list, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], timeout=timeout, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(str(part) for part in command)} failed ({done.returncode}):\n"
                         f"{done.stdout}{done.stderr}")
    return done


def http_status(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@dataclass
class Settings:
    """One configuration of the app servers."""

    replica: bool = False
    cache_seconds: int = 0


class Cluster:
    def __init__(self, work: Path, workers: int, threads: int):
        self.work = work
        self.workers, self.threads = workers, threads
        self.procs: dict[str, subprocess.Popen] = {}
        self.ports = {name: free_port() for name in ["primary", "replica", "redis", "haproxy"]}
        self.app_ports = [free_port() for _ in range(MAX_APPS)]
        self.db = f"postgresql://postgres@127.0.0.1:{self.ports['primary']}/koko"
        self.replica_db = f"postgresql://postgres@127.0.0.1:{self.ports['replica']}/koko"
        self.url = f"http://127.0.0.1:{self.ports['haproxy']}"
        self.secret = "cluster-" + os.urandom(24).hex()  # one key for every app server: sessions work anywhere
        self.settings = Settings()
        self.staff = ""

    # -- processes -------------------------------------------------------------------------------------------

    def spawn(self, name: str, command: list, **kwargs) -> subprocess.Popen:
        """A process in its own session (so its whole group can be killed), its pid noted for cluster.sh's trap."""
        out = open(self.work / f"{name}.log", "ab")
        proc = subprocess.Popen([str(part) for part in command], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, **kwargs)
        self.procs[name] = proc
        self.note_pids()
        return proc

    def note_pids(self) -> None:
        """The process groups still running, for cluster.sh's trap (a stopped one is never killed again)."""
        (self.work / "pids").write_text("".join(f"{proc.pid}\n" for proc in self.procs.values()))

    def stop(self, name: str, sig=signal.SIGTERM, wait: float = 20) -> None:
        proc = self.procs.get(name)
        try:
            if proc is None or proc.poll() is not None:
                return
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        finally:
            self.procs.pop(name, None)
            self.note_pids()

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name, wait=10)
        for name in ("replica", "primary"):
            self.pg_stop(name, mode="immediate")

    # -- PostgreSQL ------------------------------------------------------------------------------------------

    def pg_start(self, name: str) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.ports[name]} -k {self.work} -c max_connections=400 "
                   "-c shared_buffers=256MB")
        run(as_postgres([PG_BIN / "pg_ctl", "-D", self.work / name, "-l", self.work / f"{name}.log", "-w", "-t", "60",
                         "-o", options, "start"]), timeout=90)

    def pg_stop(self, name: str, mode: str = "fast") -> None:
        if (self.work / name / "postmaster.pid").exists():
            subprocess.run(as_postgres([PG_BIN / "pg_ctl", "-D", self.work / name, "-m", mode, "-w", "-t", "60",
                                        "stop"]), capture_output=True, timeout=90)

    def start_databases(self) -> None:
        run(as_postgres([PG_BIN / "initdb", "-D", self.work / "primary", "-A", "trust", "-U", "postgres"]))
        self.pg_start("primary")
        run(["psql", "-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", "postgres", "-qc",
             "CREATE DATABASE koko"])
        run(as_postgres([PG_BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", self.ports["primary"], "-U", "postgres",
                         "-D", self.work / "replica", "-R", "-X", "stream", "-c", "fast"]))
        self.pg_start("replica")
        log(f"PostgreSQL primary on 127.0.0.1:{self.ports['primary']}, streaming replica on "
            f"127.0.0.1:{self.ports['replica']}")

    def postmaster(self, name: str) -> int | None:
        try:
            return int((self.work / name / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def replica_clients(self) -> int:
        """Connections of koko on the replica (0: the API reads everything from the primary)."""
        out = run(["psql", "-h", "127.0.0.1", "-p", str(self.ports["replica"]), "-U", "postgres", "-d", "koko", "-tAc",
                   "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                   "AND pid <> pg_backend_pid()"], timeout=20)
        return int(out.stdout.strip() or 0)

    # -- Redis -----------------------------------------------------------------------------------------------

    def start_redis(self) -> None:
        self.spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", self.ports["redis"], "--save", "",
                             "--appendonly", "no", "--dir", self.work, "--protected-mode", "yes"])
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.ports["redis"]), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("redis did not start")
            time.sleep(0.1)
        log(f"Redis on 127.0.0.1:{self.ports['redis']}")

    # -- the data --------------------------------------------------------------------------------------------

    def seed(self, books: int, hot: int, customers: int) -> None:
        """koko's catalogue and customers (through koko itself), Django's tables and a staff token."""
        rng = random.Random(16)
        store = koko.BookStore.connect(self.db)
        try:
            for i in range(1, books + 1):
                title = f"The {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {i}".title()
                copies = 1 if i <= hot else rng.choice([1, 2, 2, 3])
                store.add_book(title=title, author=rng.choice(AUTHORS), category=rng.choice(
                    ["regular", "fiction", "novel"]), copies=copies)
            for i in range(1, customers + 1):
                store.register_customer(first_name=f"Reader{i}", last_name=rng.choice(NOUNS).title(),
                                        email=f"reader{i}@localhost")
        finally:
            store.close()
        self.staff = staff_token(API, self.app_env(0))
        self.books, self.hot, self.customers = books, hot, customers
        log(f"seeded {books} books ({hot} single-copy hot books), {customers} customers; Django migrated")

    def write_state(self) -> Path:
        """The locust users' view: customers with their tokens (made through the API, as staff), the catalogue."""
        customers = []
        for customer in range(1, self.customers + 1):
            request = urllib.request.Request(
                f"{self.url}/customers/{customer}/login/", data=json.dumps({"username": f"reader{customer}"}).encode(),
                headers={"Authorization": f"Token {self.staff}", "Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=30) as response:
                customers.append({"id": customer, "token": json.load(response)["token"]})
        state = {"customers": customers, "books": self.books, "hot_books": list(range(1, self.hot + 1)),
                 "words": sorted({w for w in ADJECTIVES + NOUNS} | {a.split()[1].lower() for a in AUTHORS})}
        path = self.work / "state.json"
        path.write_text(json.dumps(state))
        return path

    # -- app servers and HAProxy -----------------------------------------------------------------------------

    def app_env(self, index: int) -> dict:
        extra = {
            "DJANGO_SETTINGS_MODULE": "kokoapi.settings",
            "DJANGO_SECRET_KEY": self.secret,
            "KOKO_API_REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "GUNICORN_WORKERS": str(self.workers),
            "GUNICORN_THREADS": str(self.threads),
            "KOKO_API_CATALOGUE_CACHE_SECONDS": str(self.settings.cache_seconds),
            # One proxy (HAProxy, option forwardfor) appends the client's address to X-Forwarded-For: the throttles
            # key on that address, not on HAProxy's, nor on what a client wrote in the header itself.
            "KOKO_API_TRUSTED_PROXIES": "1",
        }
        if self.settings.replica:
            extra["KOKO_STORE_REPLICA"] = self.replica_db
            extra["KOKO_STORE_MAX_REPLICA_LAG_MS"] = "2000"
        env = server_env(self.db, self.app_ports[index], extra)
        if not self.settings.replica:
            env.pop("KOKO_STORE_REPLICA", None)
            env.pop("KOKO_STORE_MAX_REPLICA_LAG_MS", None)
        return env

    def start_app(self, index: int, wait: bool = True) -> None:
        self.spawn(f"app{index + 1}", [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--control-socket",
                                       self.work / f"app{index + 1}.ctl"], cwd=API, env=self.app_env(index))
        if wait:
            self.wait_healthy(index)

    def wait_healthy(self, index: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while http_status(f"http://127.0.0.1:{self.app_ports[index]}/health/") != 200:
            proc = self.procs.get(f"app{index + 1}")
            if proc is None or proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"app server {index + 1} did not start: see {self.work}/app{index + 1}.log")
            time.sleep(0.2)

    def start_apps(self, count: int, settings: Settings) -> None:
        for index in range(MAX_APPS):
            self.stop(f"app{index + 1}")
        self.settings = settings
        for index in range(count):
            self.start_app(index, wait=False)
        for index in range(count):
            self.wait_healthy(index)
        log(f"{count} app servers ({self.workers} gunicorn workers × {self.threads} threads each) on ports "
            f"{', '.join(str(p) for p in self.app_ports[:count])}; replica reads "
            f"{'on' if settings.replica else 'off'}; catalogue cache "
            f"{f'{settings.cache_seconds} s' if settings.cache_seconds else 'off'}")

    def app_pids(self) -> dict:
        return {name: proc.pid for name, proc in self.procs.items() if name.startswith("app")}

    def start_haproxy(self, servers: int) -> None:
        self.stop("haproxy")
        lines = [f"    server app{i + 1} 127.0.0.1:{self.app_ports[i]} check" for i in range(servers)]
        config = (DEPLOY / "haproxy.cfg.in").read_text()
        for key, value in {"@DIR@": str(self.work), "@PORT@": str(self.ports["haproxy"]),
                           "@SERVERS@": "\n".join(lines)}.items():
            config = config.replace(key, value)
        (self.work / "haproxy.cfg").write_text(config)
        (self.work / "haproxy.sock").unlink(missing_ok=True)
        run(["haproxy", "-c", "-f", self.work / "haproxy.cfg"])
        self.spawn("haproxy", ["haproxy", "-db", "-f", self.work / "haproxy.cfg"])
        deadline = time.monotonic() + 30
        while self.servers_up() < servers:
            if time.monotonic() > deadline:
                raise SystemExit(f"HAProxy: not every app server came up: {self.server_states()}")
            time.sleep(0.2)
        log(f"HAProxy on {self.url} balancing {servers} app servers (health checks on /health/)")

    def haproxy(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(5)
            conn.connect(str(self.work / "haproxy.sock"))
            conn.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_states(self) -> dict:
        try:
            rows = self.haproxy("show stat").splitlines()
        except OSError:
            return {}
        header = rows[0].lstrip("# ").split(",")
        states = {}
        for row in rows[1:]:
            fields = dict(zip(header, row.split(",")))
            if fields.get("pxname") == "apps" and fields.get("svname", "").startswith("app"):
                states[fields["svname"]] = fields["status"]
        return states

    def servers_up(self) -> int:
        return sum(state.startswith("UP") for state in self.server_states().values())

    # -- CPU accounting --------------------------------------------------------------------------------------

    def components(self) -> dict:
        groups = {"app servers": [p.pid for n, p in self.procs.items() if n.startswith("app")],
                  "PostgreSQL primary": [self.postmaster("primary")],
                  "PostgreSQL replica": [self.postmaster("replica")],
                  "HAProxy": [self.procs["haproxy"].pid] if "haproxy" in self.procs else [],
                  "Redis": [self.procs["redis"].pid] if "redis" in self.procs else [],
                  "locust": [self.procs["locust"].pid] if "locust" in self.procs else []}
        return groups

    def cpu_seconds(self) -> dict:
        totals = {}
        for name, roots in self.components().items():
            seconds = 0.0
            for root in roots:
                if root is None:
                    continue
                try:
                    parent = psutil.Process(root)
                    for proc in [parent] + parent.children(recursive=True):
                        try:
                            t = proc.cpu_times()
                            seconds += t.user + t.system
                        except psutil.Error:
                            pass
                except psutil.Error:
                    pass
            totals[name] = seconds
        machine = psutil.cpu_times()
        totals["machine busy"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0)
        return totals

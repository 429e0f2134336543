"""Runs the API for real on 127.0.0.1 — gunicorn with gunicorn.conf.py, a fresh store and database in a temporary
folder, a staff token — and runs a command against it (``{url}`` and ``{token}`` in its arguments are filled in):

    python tools/live_api.py -- schemathesis run {url}/schema/?format=json -H "Authorization: Token {token}" …

The server is stopped when the command ends (or after --timeout seconds); the exit code is the command's.
Extra ``KEY=VALUE`` pairs before ``--`` go to the server's environment (e.g. KOKO_PLAN=plan.json). An SMTP sink
(aiosmtpd, accepting and dropping every message) listens on 127.0.0.1 for ``POST /notices/send/``, unless
``KOKO_EMAIL_HOST`` is given.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(store: Path, port: int, extra: dict) -> dict:
    """The server's environment: a fresh store, a random secret key, 127.0.0.1:``port``, throttle rates no test
    reaches (throttling stays on), no background workers (no webhook relay), then ``extra``; Django's database beside
    the store."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kokoapi.settings",
        "DJANGO_SECRET_KEY": "live-api-" + os.urandom(32).hex(),  # 73 characters: a server refuses < 50
        "KOKO_STORE": str(store),
        "KOKO_API_BIND": f"127.0.0.1:{port}",
        "KOKO_API_THROTTLE_USER": "1000000/minute",
        "KOKO_API_THROTTLE_ANON": "1000000/minute",
        # No background workers: the webhooks a run registers (schemathesis POSTs generated URLs to /webhooks/) must
        # never be delivered anywhere. KOKO_API_WORKERS=thread as an extra pair turns them on.
        "KOKO_API_WORKERS": "off",
        **extra,
    }
    env.pop("KOKO_API_DATABASE", None)
    return env


@contextmanager
def smtp_sink():
    """An SMTP server on 127.0.0.1 that accepts every message and keeps none; yields its port."""
    from aiosmtpd.controller import Controller

    class Drop:
        async def handle_DATA(self, server, session, envelope):
            return "250 Message accepted for delivery"

    controller = Controller(Drop(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def staff_token(project: Path, env: dict) -> str:
    """Migrates Django's database of the API in ``project`` and makes a staff user, ``clerk``; its token."""
    manage = [sys.executable, "manage.py"]
    run = dict(cwd=project, env=env, check=True, capture_output=True, text=True)
    subprocess.run(manage + ["migrate", "-v0"], **run)
    subprocess.run(manage + ["createsuperuser", "--noinput", "--username", "clerk", "--email", "clerk@localhost"],
                   **{**run, "env": {**env, "DJANGO_SUPERUSER_PASSWORD": os.urandom(16).hex()}})
    return subprocess.run(manage + ["drf_create_token", "clerk"], **run).stdout.split()[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=900, help="stop everything after this many seconds")
    parser.add_argument("env", nargs="*", help="KEY=VALUE for the server")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args, command = parser.parse_args(argv[:split]), argv[split + 1:]
    extra = dict(pair.split("=", 1) for pair in args.env)
    with tempfile.TemporaryDirectory(prefix="koko-live-") as tmp, smtp_sink() as smtp_port:
        port = free_port()
        if "KOKO_EMAIL_HOST" not in extra:
            extra.update(KOKO_EMAIL_HOST="127.0.0.1", KOKO_EMAIL_PORT=str(smtp_port))
        env = server_env(Path(tmp) / "koko-data", port, extra)
        token = staff_token(PROJECT, env)
        log = open(Path(tmp) / "gunicorn.log", "w")
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=PROJECT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/health/", timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    print(open(Path(tmp) / "gunicorn.log").read(), file=sys.stderr)
                    raise SystemExit("the API did not start")
                time.sleep(0.2)
            filled = [part.replace("{url}", url).replace("{token}", token) for part in command]
            try:
                return subprocess.run(filled, timeout=args.timeout).returncode
            except subprocess.TimeoutExpired:
                print(f"live_api: stopped after {args.timeout:.0f} s", file=sys.stderr)
                return 1
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
            errors = [line for line in open(Path(tmp) / "gunicorn.log") if " ERROR " in line or "Traceback" in line]
            if errors:
                print("server errors:\n" + "".join(errors[:40]), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

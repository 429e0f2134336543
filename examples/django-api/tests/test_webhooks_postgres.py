"""The relay killed with SIGKILL in the middle of a delivery loses nothing: koko and Django's tables on PostgreSQL
(KOKO_TEST_POSTGRES, started by scripts/test), ``manage.py relay_webhooks`` as real processes. The receiver holds
the first delivery open, the relay is killed -9, another relay starts: once the dead one's lease expires it delivers
the same event again (the same id) and then the rest, in order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .webhook_receiver import Receiver, assert_in_order_without_loss

SERVER = os.environ.get("KOKO_TEST_POSTGRES")
pytestmark = pytest.mark.skipif(not SERVER, reason="KOKO_TEST_POSTGRES names no PostgreSQL server")
PROJECT = Path(__file__).resolve().parents[1]

SETUP = """
import json
from django.utils import timezone
from bookstore.models import Webhook
from bookstore.store import get_store
from bookstore.webhooks import feed
store = get_store()
webhook = Webhook.objects.create(url=URL, events=[], secret="whsec_sigkill-test", created_at=timezone.now())
start = feed.register(store, webhook.pk)
for n in range(4):
    store.add_book(title=f"Book {n}", author="A", category="regular")
print(json.dumps({"id": webhook.pk, "start": start,
                  "events": [[e.position, e.id] for e in store.events(after=start, limit=100)]}))
"""


def _host_port() -> str:
    parts = dict(item.split("=", 1) for item in str(SERVER).split())
    return f"{parts.get('host', '127.0.0.1')}:{parts.get('port', '5432')}"


@pytest.fixture
def env():
    name = f"koko_webhooks_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
    subprocess.run(["psql", str(SERVER), "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    env = {**os.environ, "KOKO_STORE": f"postgresql://postgres@{_host_port()}/{name}", "KOKO_PLAN": "story3",
           "DJANGO_SETTINGS_MODULE": "kokoapi.settings", "DJANGO_SECRET_KEY": "webhooks-test-" + os.urandom(24).hex(),
           "KOKO_WEBHOOK_TIMEOUT_SECONDS": "3", "KOKO_WEBHOOK_LEASE_SECONDS": "4", "KOKO_API_WORKERS": "off"}
    env.pop("KOKO_API_DATABASE", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=PROJECT, env=env, check=True,
                   capture_output=True)
    yield env
    subprocess.run(["psql", str(SERVER), "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


def relay(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", "relay_webhooks", "--interval", "0.2"], cwd=PROJECT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_relay_killed_mid_delivery_is_taken_over_without_loss(env):
    hook = Receiver(secret="whsec_sigkill-test")
    made = subprocess.run([sys.executable, "manage.py", "shell", "-c", f"URL = {hook.url!r}\n" + SETUP],
                          cwd=PROJECT, env=env, check=True, capture_output=True, text=True)
    setup = json.loads(made.stdout.strip().splitlines()[-1])
    positions = [position for position, _ in setup["events"]]
    first_id = setup["events"][0][1]
    assert len(positions) == 4
    hook.up("hang")
    first = relay(env)
    second = None
    try:
        assert hook.arrived.wait(60), "the relay never delivered"
        os.kill(first.pid, signal.SIGKILL)  # while the receiver holds the request open
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        assert [r["id"] for r in hook.received] == [first_id]
        hook.up("ok")
        second = relay(env)
        deadline = time.monotonic() + 60
        while len(hook.accepted) < len(positions) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # nothing more arrives
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(30)
        hook.down()
    assert hook.bad_signatures == 0
    # The event the killed relay was sending arrives again, with the same id, then the rest in order.
    assert [r["id"] for r in hook.received][:2] == [first_id, first_id]
    assert [e["id"] for e in hook.accepted] == [event_id for _, event_id in setup["events"]]
    assert_in_order_without_loss(hook.accepted, positions)
    assert second.returncode == 0 and "relay_webhooks: 4 events delivered" in second.stdout.read()

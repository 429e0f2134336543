"""A webhook receiver for the tests: an HTTP server on 127.0.0.1, in a thread, that checks every delivery's
signature with the documented recipe (tools/verify_webhook.py) and answers as the test says — ``ok`` (200),
``error`` (500), ``hang`` (holds the request open until released) — or is ``down`` (its port refuses
connections)."""

from __future__ import annotations

import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from verify_webhook import verify_webhook  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self, secret: str = "", port: Optional[int] = None) -> None:
        self.secret = secret
        self.port = port or free_port()
        self.mode = "ok"
        self.received: List[dict] = []  # every request, in arrival order: id, position, mode, signed
        self.accepted: List[dict] = []  # the bodies it answered 2xx, in order
        self.bad_signatures = 0
        self.arrived = threading.Event()  # set at each request
        self.release = threading.Event()  # ends the hanging requests
        self.lock = threading.Lock()
        self.server: Optional[ThreadingHTTPServer] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def up(self, mode: str = "ok") -> "Receiver":
        self.mode = mode
        if mode == "hang":
            self.release.clear()
        else:
            self.release.set()  # a request still held open ends (unanswered)
        if self.server is None:
            receiver = self

            class Handler(BaseHTTPRequestHandler):
                def log_message(self, *args):
                    pass

                def do_POST(self):
                    receiver.handle(self)

            self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
            self.server.daemon_threads = True
            threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        self.release.set()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        signed = verify_webhook(self.secret, body, request.headers.get("Koko-Signature", ""))
        event = json.loads(body)
        mode = self.mode
        with self.lock:
            if not signed:
                self.bad_signatures += 1
            self.received.append({"id": event["id"], "position": event["position"], "mode": mode,
                                  "header_id": request.headers.get("Koko-Event-Id"),
                                  "content_type": request.headers.get("Content-Type"), "signed": signed})
        self.arrived.set()
        if mode == "hang":
            self.release.wait(60)
            return  # no answer: the relay timed out or died
        status = 200 if mode == "ok" and signed else 500
        if status == 200:
            with self.lock:
                self.accepted.append(event)
        try:
            request.send_response(status)
            request.send_header("Content-Type", "text/plain")
            request.end_headers()
            request.wfile.write(b"thanks" if status == 200 else b"boom")
        except OSError:
            pass


def assert_in_order_without_loss(accepted: List[dict], positions: List[int]) -> None:
    """Every position delivered, in order; a repeat only of the event just delivered (the same id)."""
    seen = []
    for event in accepted:
        assert event["id"] == f"evt_{event['position']:020d}"
        if seen and seen[-1] == event["position"]:
            continue  # a duplicate, with the same id
        seen.append(event["position"])
    assert seen == positions

"""A partner's webhook receiver on loopback: verifies Standard Webhooks signatures like a real partner."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """One request as the partner saw it."""

    path: str
    webhook_id: str
    event: dict[str, Any]
    verified_with: list[str]
    status: int


@dataclass
class Receiver:
    """Records every request; can fail, delay or verify per path / webhook-id."""

    secrets: dict[str, list[str]] = field(default_factory=dict)  # path -> secrets to try
    fail_first_path: dict[str, int] = field(default_factory=dict)  # path -> failures left (503)
    always_fail: set[str] = field(default_factory=set)  # paths answering 500
    gone: set[str] = field(default_factory=set)  # paths answering 410
    refused_types: set[str] = field(default_factory=set)  # event types answered 500 on every path
    delay_path: dict[str, float] = field(default_factory=dict)  # path -> seconds (first request only)
    requests: list[Received] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: dict[str, int] = field(default_factory=dict)
    started: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def accepted(self, path: str | None = None) -> dict[str, Received]:
        """Successfully received events, de-duplicated by webhook-id (what a partner would process)."""
        with self.lock:
            return {r.webhook_id: r for r in self.requests if r.status == 200 and (path is None or r.path == path)}

    def attempts(self, webhook_id: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.webhook_id == webhook_id]


def start(receiver: Receiver) -> ThreadingHTTPServer:
    """Serve the receiver on an ephemeral loopback port."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            webhook_id = headers.get("webhook-id", "")
            with receiver.lock:
                receiver.started.add(webhook_id)
                receiver.in_flight[webhook_id] = receiver.in_flight.get(webhook_id, 0) + 1
                receiver.max_in_flight[webhook_id] = max(
                    receiver.max_in_flight.get(webhook_id, 0), receiver.in_flight[webhook_id]
                )
                delay = receiver.delay_path.pop(self.path, 0.0)
            try:
                if delay:
                    time.sleep(delay)
                event = json.loads(body)
                verified = [s for s in receiver.secrets.get(self.path, []) if _verifies(s, body, headers)]
                status = 200
                with receiver.lock:
                    if self.path in receiver.gone:
                        status = 410
                    elif self.path in receiver.always_fail or event.get("type") in receiver.refused_types:
                        status = 500
                    elif receiver.fail_first_path.get(self.path, 0) > 0:
                        receiver.fail_first_path[self.path] -= 1
                        status = 503
                    elif receiver.secrets.get(self.path) and not verified:
                        status = 401
                    receiver.requests.append(Received(self.path, webhook_id, event, verified, status))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"no")
            finally:
                with receiver.lock:
                    receiver.in_flight[webhook_id] -= 1

    class QuietServer(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # the kill-mid-delivery test breaks a connection on purpose

    server = QuietServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
        return True
    except WebhookVerificationError:
        return False

"""Real servers on loopback: uvicorn in a thread (concurrency over real sockets) and `lif serve` as a newcomer
runs it (a subprocess on the demo partnership)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from service.cli import main
from service.config import Settings, get_settings


@contextmanager
def serve(settings: Settings, **config: Any) -> Iterator[str]:
    """Serve the app on loopback in a thread (``config``: more uvicorn options); yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(settings: Settings, tokens: dict[str, str]) -> Iterator[str]:
    """Base URL of the app served by uvicorn in a thread (no in-process worker)."""
    with serve(settings) as url:
        yield url


def free_port() -> int:
    """A loopback port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class DemoServer:
    """A `lif serve` subprocess on the demo partnership."""

    url: str
    tokens: Path
    env: dict[str, str]


@pytest.fixture
def demo_server(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoServer]:
    """`lif demo` on this test's database (tokens in ``tokens``), then `lif serve` with its worker on a free port."""
    monkeypatch.setenv("LIF_DATABASE_URL", db_url)
    get_settings.cache_clear()
    tokens = tmp_path / "demo-tokens.json"
    assert main(["demo", "--tokens-out", str(tokens)]) == 0
    port = free_port()
    env = {
        **os.environ,
        "LIF_DATABASE_URL": db_url,
        "LIF_LOG_LEVEL": "WARNING",
        "LIF_WORKER_POLL_SECONDS": "0.1",
        "LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",  # the partner walkthrough's receiver is on loopback
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _ready(url):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"lif serve did not become ready:\n{log.read_text()}")
            time.sleep(0.2)
        yield DemoServer(url=url, tokens=tokens, env=env)
    finally:
        process.terminate()
        process.wait(timeout=15)
        get_settings.cache_clear()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False

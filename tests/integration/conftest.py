"""A real uvicorn server on loopback, for tests that need concurrency over real sockets."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from service.config import Settings


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

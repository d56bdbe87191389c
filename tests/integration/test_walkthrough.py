"""The README's walkthrough, run as a newcomer runs it: `lif demo`, `lif serve`, then docs/walkthrough.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.cli import main
from service.config import REPO_ROOT, get_settings


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
    """`lif demo` on this test's database, then `lif serve` (API and worker) on a free loopback port."""
    monkeypatch.setenv("LIF_DATABASE_URL", db_url)
    get_settings.cache_clear()
    tokens = tmp_path / "demo-tokens.json"
    assert main(["demo", "--tokens-out", str(tokens)]) == 0
    port = free_port()
    env = {**os.environ, "LIF_DATABASE_URL": db_url, "LIF_LOG_LEVEL": "WARNING", "LIF_WORKER_POLL_SECONDS": "0.1"}
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


def _walk(server: DemoServer, tokens: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(REPO_ROOT / "docs" / "walkthrough.py"), "--base-url", server.url, "--tokens"]
    return subprocess.run([*command, str(tokens)], capture_output=True, text=True, timeout=60, check=False)


def test_the_walkthrough_closes_a_cspr_today_and_shows_problems(demo_server: DemoServer, tmp_path: Path) -> None:
    run = _walk(demo_server, demo_server.tokens)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " is closed; clocks:" in run.stdout
    assert "pre_publication=met" in run.stdout and "publication=met" in run.stdout
    # A second run opens a second case: each run sends its own Idempotency-Key.
    again = _walk(demo_server, demo_server.tokens)
    assert again.returncode == 0, again.stdout + again.stderr
    references = {line.split()[0] for line in (run.stdout + again.stdout).splitlines() if " is closed" in line}
    assert len(references) == 2
    # Any error: the service's problem detail, exit status 1, no traceback.
    wrong = tmp_path / "wrong-tokens.json"
    wrong.write_text('{"case_review_group_member": "lif_not-a-token", "independent_reviewer": "x"}')
    failed = _walk(demo_server, wrong)
    assert failed.returncode == 1
    assert "HTTP 401" in failed.stderr and "the bearer token is not recognised" in failed.stderr
    assert "Traceback" not in failed.stderr

"""Over real sockets: revocation and deactivation take effect on the next request, wrong tokens are rate-limited
per client address and token prefix, and bodies are cut off for size and for time before authentication."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from service.config import Settings
from tests.integration.conftest import serve

ME = "/api/v1/me"
MIB = 1024 * 1024


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _from(address: str) -> httpx.Client:
    """A client whose connections leave from ``address`` (any of 127.0.0.0/8 is loopback on Linux)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)


def _wrong_token(prefix: str = "") -> str:
    return (prefix or "lif_" + secrets.token_urlsafe(6)[:8]) + secrets.token_urlsafe(32)


def test_300_wrong_tokens_from_one_address_get_429_and_a_good_token_elsewhere_still_works(
    settings: Settings, tokens: dict[str, str]
) -> None:
    limit = settings.auth_failure_limit
    # uvicorn's proxy headers off, as `lif serve` runs without LIF_TRUSTED_PROXIES: X-Forwarded-For is ignored.
    with serve(settings, proxy_headers=False) as url, _from("127.0.0.1") as attacker, _from("127.0.0.2") as other:
        statuses = [
            attacker.get(url + ME, headers={**_bearer(_wrong_token()), "X-Forwarded-For": f"10.0.{n // 250}.{n % 250}"})
            for n in range(300)
        ]
        assert [r.status_code for r in statuses] == [401] * limit + [429] * (300 - limit)
        last = statuses[-1]
        assert last.headers["content-type"] == "application/problem+json"
        assert 0 < int(last.headers["retry-after"]) <= settings.auth_failure_window_seconds
        assert last.json()["retry_after_seconds"] == int(last.headers["retry-after"])
        # While the window lasts the address is refused even a good token (a guesser never learns it guessed
        # right); another address signs in as usual.
        assert attacker.get(url + ME, headers=_bearer(tokens["business_manager"])).status_code == 429
        assert other.get(url + ME, headers=_bearer(tokens["business_manager"])).status_code == 200


def test_guesses_at_one_token_prefix_from_many_addresses_are_limited_too(
    settings: Settings, tokens: dict[str, str]
) -> None:
    settings = settings.model_copy(update={"auth_failure_limit": 5})
    prefix = tokens["business_manager"][:12]
    with serve(settings, proxy_headers=False) as url:
        for n in range(5):
            with _from(f"127.0.1.{n + 1}") as guesser:
                assert guesser.get(url + ME, headers=_bearer(_wrong_token(prefix))).status_code == 401
        with _from("127.0.1.100") as fresh:
            assert fresh.get(url + ME, headers=_bearer(_wrong_token(prefix))).status_code == 429
            assert fresh.get(url + ME, headers=_bearer(tokens["partnership_admin"])).status_code == 200


def test_revoked_and_deactivated_tokens_are_refused_on_the_very_next_request(
    live_server: str, tokens: dict[str, str]
) -> None:
    with httpx.Client(base_url=live_server + "/api/v1", timeout=10) as http:
        admin = _bearer(tokens["partnership_admin"])
        body = {"name": "Temp", "email": f"{secrets.token_hex(4)}@northshire.example", "roles": ["business_manager"]}
        user = http.post("/users", headers=admin, json=body).json()
        first, second = (http.post(f"/users/{user['id']}/tokens", headers=admin, json={"name": n}).json() for n in "ab")
        for issued in (first, second):  # warm: the token has been seen, and its last use recorded
            for _ in range(5):
                assert http.get("/me", headers=_bearer(issued["token"])).status_code == 200
        listed = http.get("/tokens", headers=admin, params={"user_id": user["id"]}).json()["items"]
        assert all(t["last_used_at"] is not None for t in listed)
        assert http.delete(f"/tokens/{first['id']}", headers=admin).status_code == 200
        refused = http.get("/me", headers=_bearer(first["token"]))
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
        assert http.get("/me", headers=_bearer(second["token"])).status_code == 200
        assert http.patch(f"/users/{user['id']}", headers=admin, json={"active": False}).status_code == 200
        refused = http.get("/me", headers=_bearer(second["token"]))
        assert refused.status_code == 401 and "deactivated" in refused.json()["detail"]


def _send_body(url: str, head: bytes, body_chunks: Iterator[bytes]) -> tuple[bytes, float]:
    """Send a request over a raw socket while reading the answer; returns the answer and how long it took."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    answer = bytearray()

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                answer.extend(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read)
    started = time.monotonic()
    sock.sendall(head)
    reader.start()
    try:
        for chunk in body_chunks:
            sock.sendall(chunk)
    except OSError:  # the server closed the connection after answering: what a cut-off looks like
        pass
    reader.join(timeout=30)
    elapsed = time.monotonic() - started
    sock.close()
    return bytes(answer), elapsed


def test_a_slow_body_is_cut_off_before_authentication(settings: Settings, tokens: dict[str, str]) -> None:
    settings = settings.model_copy(update={"body_timeout_seconds": 1.0})
    with serve(settings) as url:
        head = (
            b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        )

        def trickle() -> Iterator[bytes]:
            for _ in range(10):
                yield b" "
                time.sleep(0.3)

        answer, elapsed = _send_body(url, head, trickle())
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"application/problem+json" in answer and b"within 1 seconds" in answer
    assert elapsed < 4


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _lif_serve(settings: Settings, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`lif serve` in its own process (so its memory is its own), on this test's database: (process, base URL)."""
    port = _free_port()
    environment = {
        **os.environ,
        "LIF_DATABASE_URL": settings.database_url,
        "LIF_BPMN_DIR": str(settings.bpmn_dir),
        "LIF_EVIDENCE_DIR": str(settings.evidence_dir),
        "LIF_LOG_LEVEL": "WARNING",
        "LIF_PORT": str(port),
        **env,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--no-worker", "--no-migrate"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("lif serve did not become ready")
            time.sleep(0.2)
        yield server, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads memory from /proc")
def test_lif_serve_cuts_off_100_mb_bodies_and_trusts_forwarded_addresses_from_proxies_only(
    settings: Settings, tokens: dict[str, str]
) -> None:
    # One server start for both (starting `lif serve` is most of the cost).
    with _lif_serve(settings, LIF_TRUSTED_PROXIES='["127.0.0.1"]', LIF_AUTH_FAILURE_LIMIT="3") as (server, url):
        _100_mb_bodies_get_413_quickly_and_the_server_does_not_grow(server, url, tokens)
        _the_client_address_comes_from_trusted_proxies_only(url + ME, tokens)


def _100_mb_bodies_get_413_quickly_and_the_server_does_not_grow(
    server: subprocess.Popen[bytes], url: str, tokens: dict[str, str]
) -> None:
    httpx.get(url + ME, headers=_bearer(tokens["business_manager"]))  # warm every code path once
    before = _rss_kib(server.pid)
    chunk = b"x" * MIB
    results = {}
    for kind, request_line, framing in (
        ("declared", "POST /api/v1/cases", f"Content-Length: {100 * MIB}\r\n"),
        ("chunked", "POST /api/v1/cases", "Transfer-Encoding: chunked\r\n"),
        ("upload", "POST /api/v1/process-definitions", f"Content-Length: {100 * MIB}\r\n"),
        ("get", "GET /api/v1/me", "Transfer-Encoding: chunked\r\n"),
    ):
        content_type = "multipart/form-data; boundary=x" if kind == "upload" else "application/json"
        head = (
            f"{request_line} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Authorization: Bearer {tokens['business_manager']}\r\n{framing}\r\n"
        ).encode()
        framed = chunk if "Content-Length" in framing else b"%x\r\n" % len(chunk) + chunk + b"\r\n"
        answer, elapsed = _send_body(url, head, iter([framed] * 100))
        assert answer.startswith(b"HTTP/1.1 413"), (kind, answer[:200])
        assert b"application/problem+json" in answer
        results[kind] = elapsed
    grown_kib = _rss_kib(server.pid) - before
    print(f"\n100 MB bodies: RSS {before} KiB before, grew {grown_kib} KiB; seconds {results}")
    assert grown_kib < 8 * 1024, grown_kib
    assert max(results.values()) < 10, results


def _the_client_address_comes_from_trusted_proxies_only(url: str, tokens: dict[str, str]) -> None:
    behind = {"X-Forwarded-For": "203.0.113.5"}
    for _ in range(3):
        assert httpx.get(url, headers={**behind, **_bearer(_wrong_token())}).status_code == 401
    assert httpx.get(url, headers={**behind, **_bearer(tokens["business_manager"])}).status_code == 429
    # Another client behind the same proxy is another address.
    elsewhere = {"X-Forwarded-For": "203.0.113.6", **_bearer(tokens["business_manager"])}
    assert httpx.get(url, headers=elsewhere).status_code == 200
    # A peer that is not a trusted proxy cannot choose its address: 127.0.0.2 is counted as itself.
    with _from("127.0.0.2") as direct:
        for n in range(3):
            spoofed = {"X-Forwarded-For": f"198.51.100.{n}", **_bearer(_wrong_token())}
            assert direct.get(url, headers=spoofed).status_code == 401
        spoofed = {"X-Forwarded-For": "198.51.100.99", **_bearer(_wrong_token())}
        assert direct.get(url, headers=spoofed).status_code == 429

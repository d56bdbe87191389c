"""The `lif` command as an operator uses it: demo tokens, token creation, and `lif serve`."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from service.cli import main
from service.config import get_settings
from service.db.session import unit_of_work
from service.models import ApiToken, Case


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LIF_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url  # type: ignore[misc]
    get_settings.cache_clear()


def test_demo_writes_one_token_per_role_and_tokens_are_stored_hashed(cli_env: str, tmp_path: Path) -> None:
    out = tmp_path / "tokens.json"
    assert main(["demo", "--tokens-out", str(out)]) == 0
    tokens = json.loads(out.read_text())
    assert {
        "business_manager",
        "case_review_group_member",
        "independent_reviewer",
        "agency_safeguarding_lead",
        "partnership_admin",
        "process_owner",
        "agency_safeguarding_lead:police",
    } <= set(tokens)
    assert oct(out.stat().st_mode)[-3:] == "600"
    with unit_of_work(write=False, url=cli_env) as session:
        stored = {row.token_hash for row in session.exec(select(ApiToken)).all()}
    assert not set(tokens.values()) & stored
    assert {hashlib.sha256(t.encode()).hexdigest() for t in tokens.values()} <= stored


def test_demo_opens_example_cases_once(cli_env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--tokens-out", str(tmp_path / "t.json")]) == 0
    assert "example cases opened: CSPR-" in capsys.readouterr().out
    assert main(["demo", "--tokens-out", str(tmp_path / "t.json")]) == 0  # a second run adds no cases
    with unit_of_work(write=False, url=cli_env) as session:
        types = sorted(case.case_type for case in session.exec(select(Case)).all())
    assert types == ["cspr", "learning_item", "referral_intake", "sar"]


def test_token_create_prints_a_working_token(cli_env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["demo", "--tokens-out", str(tmp_path / "t.json")]) == 0
    capsys.readouterr()
    assert main(["token", "create", "--partnership", "northshire", "--email", "admin@northshire.example"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("lif_")
    assert main(["token", "create", "--partnership", "northshire", "--email", "nobody@x.example"]) == 1
    assert "no user nobody@x.example" in capsys.readouterr().err


def test_onboarding_a_partnership_from_the_command_line(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate"]) == 0
    assert main(["partnership", "create", "--key", "riverside", "--name", "Riverside SAB", "--kind", "adults"]) == 0
    assert (
        main(
            [
                "agency",
                "add",
                "--partnership",
                "riverside",
                "--code",
                "health",
                "--name",
                "Riverside ICB",
                "--kind",
                "health",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "user",
                "add",
                "--partnership",
                "riverside",
                "--name",
                "Ada",
                "--email",
                "ada@riverside.example",
                "--role",
                "partnership_admin",
                "--role",
                "process_owner",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "user",
                "add",
                "--partnership",
                "riverside",
                "--name",
                "Bo",
                "--email",
                "bo@riverside.example",
                "--role",
                "agency_safeguarding_lead",
                "--agency",
                "health",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["token", "create", "--partnership", "riverside", "--email", "ada@riverside.example"]) == 0
    assert capsys.readouterr().out.startswith("lif_")
    assert (
        main(["user", "add", "--partnership", "riverside", "--name", "X", "--email", "x@r.example", "--role", "wizard"])
        == 1
    )
    assert "unknown roles" in capsys.readouterr().err
    assert main(["agency", "add", "--partnership", "nowhere", "--code", "a", "--name", "A", "--kind", "x"]) == 1
    assert main(["partnership", "create", "--key", "riverside", "--name", "Again", "--kind", "adults"]) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(port: int, *, seconds: float, what: str) -> float:
    """Poll /health/ready until it answers 200; returns the deadline, for a caller that waits on."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                return deadline
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{what} did not become ready")


def test_lif_serve_runs_the_api_with_its_worker(cli_env: str) -> None:
    port = _free_port()
    env = {**os.environ, "LIF_DATABASE_URL": cli_env, "LIF_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_ready(port, seconds=30, what="lif serve")
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/cases").status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=15)


def _api_processes(pid: int) -> list[int]:
    """The children of ``pid`` that serve the API (not multiprocessing's resource tracker)."""
    path = f"/proc/{pid}/task/{pid}/children"
    if not os.path.exists(path):
        # A developer's machine without Linux /proc skips; CI runs on Linux, where a missing /proc is a failure.
        reason = "needs Linux /proc to see the API processes"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with open(path) as file:
        children = [int(child) for child in file.read().split()]
    found = []
    for child in children:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as file:
                if b"spawn_main" in file.read():
                    found.append(child)
        except FileNotFoundError:
            continue
    return found


def test_lif_serve_workers_runs_several_api_processes(cli_env: str) -> None:
    port = _free_port()
    env = {**os.environ, "LIF_DATABASE_URL": cli_env, "LIF_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = _wait_until_ready(port, seconds=60, what="lif serve --workers 2")
        while time.monotonic() < deadline and len(_api_processes(process.pid)) < 2:
            time.sleep(0.2)
        children = _api_processes(process.pid)
        assert len(children) == 2  # two API processes under the one supervising `lif serve`
        for _ in range(10):
            assert httpx.get(f"http://127.0.0.1:{port}/api/v1/cases").status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert all(not os.path.exists(f"/proc/{child}") for child in children)


def test_lif_serve_refuses_zero_workers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--workers", "0"])
    assert exited.value.code == 2
    assert "give 1 or more" in capsys.readouterr().err

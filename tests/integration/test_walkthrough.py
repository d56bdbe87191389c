"""The README's walkthrough, run as a newcomer runs it: `lif demo`, `lif serve`, then docs/walkthrough.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from service.cli import main
from service.config import REPO_ROOT
from tests.integration.conftest import DemoServer


def _walk(server: DemoServer, tokens: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(REPO_ROOT / "docs" / "walkthrough.py"), "--base-url", server.url, "--tokens"]
    return subprocess.run([*command, str(tokens)], capture_output=True, text=True, timeout=60, check=False)


def test_the_walkthrough_closes_a_cspr_today_and_shows_problems(
    demo_server: DemoServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _walk(demo_server, demo_server.tokens)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " is closed; clocks:" in run.stdout
    assert "pre_publication=met" in run.stdout and "publication=met" in run.stdout
    # `lif demo` again reissues the tokens (and prints them): a second run with those opens a second case, as
    # each run sends its own Idempotency-Key.
    capsys.readouterr()
    assert main(["demo"]) == 0
    printed = tmp_path / "printed-tokens.txt"
    printed.write_text(capsys.readouterr().out)
    assert _walk(demo_server, demo_server.tokens).returncode == 1  # the first run's tokens are revoked
    again = _walk(demo_server, printed)
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

"""docs/partner-walkthrough.md, run as written: its shell block issues a machine token, its Python block
subscribes a loopback receiver and verifies a signed delivery from a real `lif serve`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service.config import REPO_ROOT
from tests.helpers import markdown_blocks
from tests.integration.conftest import DemoServer

PAGE = REPO_ROOT / "docs" / "partner-walkthrough.md"


def test_the_partner_walkthrough_receives_and_verifies_a_delivery(demo_server: DemoServer, tmp_path: Path) -> None:
    shell = markdown_blocks(PAGE.read_text(), "bash")
    (receiver,) = markdown_blocks(PAGE.read_text(), "python")
    (tmp_path / "receive.py").write_text(receiver)
    (tmp_path / "demo-tokens.json").write_text(demo_server.tokens.read_text())
    # Step 1 (demo and serve) is what the fixture did; step 2 issues the token, step 3 runs the receiver.
    script = f'{shell[1]}\n"{sys.executable}" receive.py\n'
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={**demo_server.env, "LIF_URL": demo_server.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == f"verified ping delivery from {demo_server.url}/api/v1"

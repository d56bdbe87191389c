"""Dependencies point one way; SpiffWorkflow stays inside service/engine; modules stay small."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from service.config import REPO_ROOT

MAX_MODULE_LINES = 500


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _python_files() -> list[Path]:
    return [p for folder in ("service", "api") for p in (REPO_ROOT / folder).rglob("*.py")]


def test_spiffworkflow_is_imported_only_in_the_engine() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+SpiffWorkflow", re.MULTILINE)
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in _python_files()
        if pattern.search(path.read_text()) and "service/engine" not in path.as_posix()
    ]
    assert offenders == []


def test_modules_stay_small() -> None:
    long = {
        str(p.relative_to(REPO_ROOT)): n
        for p in _python_files()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_only_boundaries_commit() -> None:
    commits = sorted(str(path.relative_to(REPO_ROOT)) for path in _python_files() if ".commit()" in path.read_text())
    # service/db/engine.py ends SQLite's write transaction inside SQLAlchemy's own commit event (so the next writer
    # of the process can go): that is the driver's commit of a unit of work that a boundary committed, not a commit.
    assert commits == ["api/deps.py", "service/db/engine.py", "service/db/session.py"]


def test_subscriptions_change_only_through_the_orm() -> None:
    # A bulk or textual statement on webhook_subscription skips the session event that bumps the partnership's
    # subscriptions_version, and every process's cache would go on answering with the old set
    # (service/outbox/subscriptions.py).
    bulk = re.compile(r"\b(update|delete|insert)\(\s*(WebhookSubscription\b|webhook_subscription)", re.IGNORECASE)
    text = re.compile(r"\b(UPDATE|DELETE\s+FROM|INSERT\s+INTO)\s+\"?webhook_subscription\b", re.IGNORECASE)
    offenders = sorted(
        str(path.relative_to(REPO_ROOT))
        for path in _python_files()
        if bulk.search(source := path.read_text()) or text.search(source)
    )
    assert offenders == []

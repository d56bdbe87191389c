"""While the service is served, SQLite's log is copied into the database by a thread, not by the requests."""

from __future__ import annotations

import gc
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.app import create_app
from service.config import Settings
from service.db.checkpoints import REQUEST_PAGES, Checkpointer
from service.db.engine import get_engine, is_sqlite
from service.db.session import unit_of_work

THREAD = "lif-sqlite-checkpoints"


def _threshold(url: str) -> int:
    with get_engine(url).connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _write_pages(url: str, rows: int) -> None:
    with unit_of_work(url=url) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS probe (id TEXT PRIMARY KEY, body TEXT)"))
        insert = text("INSERT INTO probe VALUES (:id, :body)")
        for _ in range(rows):
            session.execute(insert, {"id": str(uuid.uuid4()), "body": "x" * 3000})


def _wait_for(condition: object, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.05)
    return False


def test_the_thread_copies_the_log_while_requests_no_longer_do(tmp_path: Path) -> None:
    # A SQLite file of its own in both passes of the suite: the log and its checkpoints are SQLite's.
    sqlite_url = f"sqlite:///{tmp_path / 'log.db'}"
    database = Path(str(make_url(sqlite_url).database))
    assert _threshold(sqlite_url) == 1000  # SQLite's own: a commit past 1,000 pages copies the log itself
    checkpoints = Checkpointer(sqlite_url, every=0.1).start()
    try:
        assert _threshold(sqlite_url) == REQUEST_PAGES
        _wait_for(lambda: checkpoints.runs >= 1)
        before = database.stat().st_size
        _write_pages(sqlite_url, 300)  # about 300 pages of 4 KB: far below the requests' threshold
        runs = checkpoints.runs
        assert _wait_for(lambda: checkpoints.runs >= runs + 2)
        # Only a checkpoint writes the database file in WAL mode, and no request's commit could have run one.
        assert database.stat().st_size >= before + 300 * 3000
    finally:
        checkpoints.stop()
    assert not any(t.name == THREAD for t in threading.enumerate())
    get_engine(sqlite_url).dispose()
    assert _threshold(sqlite_url) == 1000  # stopped: new connections checkpoint as SQLite does


def test_the_served_app_runs_the_thread_on_sqlite_and_a_test_app_does_not(settings: Settings) -> None:
    with TestClient(create_app(settings)):
        assert not any(t.name == THREAD for t in threading.enumerate())
    gc.unfreeze()
    try:
        with TestClient(create_app(settings, serving=True)) as client:
            running = any(t.name == THREAD and t.is_alive() for t in threading.enumerate())
            assert running is is_sqlite(settings.database_url)  # PostgreSQL checkpoints in its own processes
            assert client.get("/health/ready").status_code == 200
        assert not any(t.name == THREAD for t in threading.enumerate())
    finally:
        gc.unfreeze()  # the served app froze this process's heap; the next tests find the collector as usual


@pytest.mark.parametrize("url", ["postgresql+psycopg://nobody@127.0.0.1:1/none", "sqlite://", "sqlite:///:memory:"])
def test_on_postgresql_or_in_memory_the_checkpointer_does_nothing(url: str) -> None:
    checkpoints = Checkpointer(url).start()
    assert not any(t.name == THREAD for t in threading.enumerate())
    checkpoints.stop()


@pytest.fixture(autouse=True)
def _no_thread_left() -> Iterator[None]:
    yield
    assert not any(t.name == THREAD for t in threading.enumerate())

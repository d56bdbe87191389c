"""A pooled PostgreSQL connection the database dropped is replaced before a request uses it (when it sat idle).

The pool checks a connection only after it sat idle for ``PING_AFTER_IDLE_SECONDS`` (service/db/engine.py): a
check on every checkout cost a round trip per request. This shows both sides of that choice on a real server.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from service.db import engine as engines
from tests.conftest import BACKEND, POSTGRES_ADMIN_URL, _admin_dsn

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="the idle check is PostgreSQL's (SQLite has no server)")


def _one_pooled_connection(url: str) -> tuple[Engine, int]:
    """The engine with exactly one connection in its pool, and that connection's server process id."""
    engine = engines.get_engine(url)
    engine.dispose()
    with engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return engine, int(pid)


def _drop(pid: int) -> None:
    with psycopg.connect(_admin_dsn(POSTGRES_ADMIN_URL), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


def test_a_connection_dropped_while_idle_is_replaced_and_the_request_succeeds(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, pid = _one_pooled_connection(db_url)
    _drop(pid)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had sat idle past the threshold
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid


def test_within_the_idle_window_a_dropped_connection_fails_one_request_and_the_pool_renews(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 3600.0)
    engine, pid = _one_pooled_connection(db_url)
    _drop(pid)
    with pytest.raises(OperationalError), engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    with engine.connect() as connection:  # the failure invalidated the pool: a new connection serves the next one
        assert connection.exec_driver_sql("SELECT 1").scalar_one() == 1

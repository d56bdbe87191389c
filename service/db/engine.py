"""SQLAlchemy engines for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from service.config import get_settings

WRITE = "lif_write"  # execution option: this connection will change data


def is_sqlite(url: str) -> bool:
    """True when ``url`` points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine (and pool) per database URL."""
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine, synchronous=get_settings().sqlite_synchronous)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return engine


def write_engine(url: str) -> Engine:
    """The engine for transactions that write: on SQLite they take the write lock up front."""
    return get_engine(url).execution_options(**{WRITE: True})


def _configure_sqlite(engine: Engine, *, synchronous: str) -> None:
    # pysqlite's own transaction handling defers BEGIN until the first write, so two requests can both
    # read the same instance and then race to write it. We issue BEGIN ourselves: IMMEDIATE for writers,
    # which serialises engine steps exactly like SELECT ... FOR UPDATE does on PostgreSQL.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL by default: in WAL mode NORMAL can lose the last commits on power loss though we answered 2xx.
        cursor.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

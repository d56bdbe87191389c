"""SQLAlchemy engines for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from service.config import get_settings
from service.db import json_codec

WRITE = "lif_write"  # execution option: this connection will change data
WRITER_QUEUE_SECONDS = 30.0  # as long as SQLite's busy_timeout
_HOLDS_WRITERS = "lif_holds_writer_lock"


def is_sqlite(url: str) -> bool:
    """True when ``url`` points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


_JSON: dict[str, Any] = {"json_serializer": json_codec.dumps, "json_deserializer": json_codec.loads}


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine (and pool) per database URL."""
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **_JSON)
        _configure_sqlite(engine, synchronous=get_settings().sqlite_synchronous)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20, **_JSON)
        _ping_when_idle(engine)
    return engine


# A pooled PostgreSQL connection is checked before use only if it sat idle this long. Checking every checkout (the
# pool's pre_ping) costs a round trip per request; under load connections come back within milliseconds, and a
# database restart or a dropped connection is far likelier to lie behind one that waited. A connection that dies
# while in use fails its request, which rolls back whole; SQLAlchemy then renews the pool (docs/deployment.md).
PING_AFTER_IDLE_SECONDS = 10.0
_LAST_RETURNED = "lif_last_returned"


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_LAST_RETURNED)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's error for a dead connection is driver-specific
            raise DisconnectionError(f"a pooled connection failed its check: {exc}") from exc
        if not alive:
            raise DisconnectionError("a pooled connection failed its check")

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_RETURNED] = time.monotonic()


def write_engine(url: str) -> Engine:
    """The engine for transactions that write: on SQLite they take the write lock up front."""
    return _writing(get_engine(url))


@lru_cache(maxsize=8)
def _writing(engine: Engine) -> Engine:
    # Made once per engine: a fresh option engine per write transaction cost more than its BEGIN.
    return engine.execution_options(**{WRITE: True})


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

    # Writers of this process also queue on a lock of their own before BEGIN IMMEDIATE. SQLite's busy handler
    # waits for its file lock by sleeping in growing steps (up to 100 ms), so under concurrent writes a request
    # could sleep long after the lock was free: measured, a p99 many times the p50. A thread waiting on this lock
    # wakes as soon as it is released (after the commit). Other processes still meet the file lock, as before.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(WRITE, False):
            connection.exec_driver_sql("BEGIN")
            return
        # Bounded: a thread that already holds a write transaction and begins another would otherwise wait for
        # itself; after the bound it falls back to SQLite's own waiting, exactly as without this lock.
        if writers.acquire(timeout=WRITER_QUEUE_SECONDS):
            connection.info[_HOLDS_WRITERS] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection.info)
            raise

    def _release(info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_WRITERS, False):
            writers.release()

    # The commit and rollback events fire before SQLAlchemy ends the transaction: end it here, then let the next
    # writer in (pysqlite's own commit/rollback that follow find no transaction open and do nothing).
    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        if _HOLDS_WRITERS in connection.info:
            try:
                connection.connection.dbapi_connection.commit()
            finally:
                _release(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        if _HOLDS_WRITERS in connection.info:
            try:
                connection.connection.dbapi_connection.rollback()
            finally:
                _release(connection.info)

    @event.listens_for(engine, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _state: Any) -> None:
        _release(record.info)  # a connection returned to the pool mid-transaction (its rollback is the pool's)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        _release(record.info)

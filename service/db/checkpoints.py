"""SQLite's write-ahead log is copied back into the database by a thread of the serving process, not by a request.

In WAL mode every commit appends its pages to the log, and the commit that takes the log past 1,000 pages (SQLite's
``wal_autocheckpoint``) copies the log into the database file and syncs it before its own request can answer: a
CSPR completion writes about 38 pages, so one request in 26 paid for the copy. In-process, 1,000 completions on a
fresh database: p99 11.8 ms with it, 9.0-10.2 ms without, the median unchanged; on a big database the copy costs
more. While ``lif serve`` runs, a thread of each API process runs a PASSIVE checkpoint every half second (it
waits for no reader or writer, and SQLite releases the interpreter's lock while it copies), and the connections
the requests use checkpoint themselves only past 10,000 pages (40 MB), a net for a thread that has fallen behind.
Nothing else changes: what a commit wrote is in the log, synced (``synchronous=FULL``), before the request answers.
PostgreSQL checkpoints in its own processes; there this does nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from service.db.engine import get_engine, is_sqlite

log = logging.getLogger(__name__)

EVERY_SECONDS = 0.5
REQUEST_PAGES = 10_000  # a request's commit still checkpoints past this many pages in the log


class Checkpointer:
    """Checkpoints one SQLite database file from a thread of this process until stopped; nothing on PostgreSQL
    or for a database in memory."""

    def __init__(self, url: str, *, every: float = EVERY_SECONDS) -> None:
        # A database in memory has no log to copy (and disposing of its pool would drop the database itself).
        in_file = is_sqlite(url) and make_url(url).database not in (None, "", ":memory:")
        self._engine: Engine | None = get_engine(url) if in_file else None
        self._every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # checkpoints run (for tests and logs)

    def start(self) -> Checkpointer:
        engine = self._engine
        if engine is None or self._thread is not None:
            return self
        event.listen(engine, "connect", _raise_threshold)
        engine.dispose()  # the pool's idle connections were made with SQLite's threshold: new ones get ours
        self._thread = threading.Thread(target=self._run, name="lif-sqlite-checkpoints", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None or self._engine is None:
            return
        self._stop.set()
        thread.join(timeout=10)
        event.remove(self._engine, "connect", _raise_threshold)

    def _run(self) -> None:
        assert self._engine is not None
        connection = self._engine.raw_connection()  # autocommit (service/db/engine.py): a PRAGMA opens no transaction
        sqlite = connection.driver_connection
        assert sqlite is not None
        try:
            while not self._stop.wait(self._every):
                try:
                    sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except Exception:  # a busy or failing database must not end the thread: the next turn retries
                    log.warning("a SQLite checkpoint failed", exc_info=True)
        finally:
            connection.close()


def _raise_threshold(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={REQUEST_PAGES}")

"""Count the SQL statements and ORM flushes one request costs: open a CSPR case, complete its first task, list,
get; and open and complete a case of the benchmark's approval shape (bench/shapes/bench_approval.bpmn).

    python bench/statements.py [--database-url URL] [--show-sql]

Runs the real application in-process (FastAPI's TestClient) on a fresh database (a temp SQLite file unless a
PostgreSQL URL is given: that database is dropped and re-created) and counts, per request, what the database
engine is asked to do. A count, not a time: it does not drift with the machine's speed, so it shows a cut in
round trips exactly. On SQLite it also counts the pages each request's commit wrote to the write-ahead log (every
row written and every index entry it changes dirties a page; migration 0020 dropped indexes to cut them): here the
log is not checkpointed while the requests run, so its growth is what they wrote.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session as OrmSession  # noqa: E402

from bench.database import fresh_database, setup  # noqa: E402
from bench.support import NOTIFY_ELEMENT, cspr_case_body, log  # noqa: E402


@dataclass
class Counts:
    """What one request asked of the database."""

    statements: list[str] = field(default_factory=list)
    flushes: int = 0
    pages: int | None = None  # SQLite: pages written to the write-ahead log

    def summary(self) -> str:
        kinds: dict[str, int] = {}
        for sql in self.statements:
            verb = sql.lstrip().split(None, 1)[0].upper()
            kinds[verb] = kinds.get(verb, 0) + 1
        verbs = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
        pages = "" if self.pages is None else f", {self.pages} pages written"
        return f"{len(self.statements):3d} statements ({verbs}), {self.flushes} flushes{pages}"


class Counter:
    """Listens on the engine (statements) and on every ORM session (flushes that wrote something)."""

    def __init__(self, engine: Any, wal: Path | None) -> None:
        self.current: Counts | None = None
        self.wal = wal
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(OrmSession, "after_flush", self._flush)
        if wal is not None:
            engine.dispose()  # connections made from here on keep every frame in the log (see the module's note)
            event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA wal_autocheckpoint=0"))

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.current is not None:
            self.current.statements.append(statement)

    def _flush(self, *_args: Any) -> None:
        if self.current is not None:
            self.current.flushes += 1

    @contextmanager
    def measure(self) -> Iterator[Counts]:
        counts = Counts()
        self.current = counts
        logged = self._logged()
        try:
            yield counts
        finally:
            self.current = None
            if self.wal is not None:
                counts.pages = (self._logged() - logged) // (WAL_PAGE + WAL_FRAME_HEADER)

    def _logged(self) -> int:
        return self.wal.stat().st_size if self.wal is not None and self.wal.exists() else 0


WAL_PAGE, WAL_FRAME_HEADER = 4096, 24  # SQLite's default page size; each frame of the log is a header and a page


def run(url: str, *, show_sql: bool, rounds: int, sqlite_path: Path | None = None) -> dict[str, Counts]:
    import os
    import tempfile

    from bench.shapes import TASK_ANSWERS, bpmn_folder

    bpmn_dir = bpmn_folder(Path(tempfile.mkdtemp(prefix="lif-statements-")) / "bpmn")
    os.environ["LIF_DATABASE_URL"] = url
    os.environ["LIF_BPMN_DIR"] = str(bpmn_dir)
    from fastapi.testclient import TestClient

    from api.app import create_app
    from service.config import get_settings
    from service.db.engine import get_engine
    from service.engine.functions import today

    get_settings.cache_clear()
    tokens = setup(url, bpmn_dir)
    wal = None if sqlite_path is None else sqlite_path.with_name(sqlite_path.name + "-wal")
    counter = Counter(get_engine(url), wal)
    results: dict[str, Counts] = {}
    with TestClient(create_app(get_settings())) as client:
        client.headers["Authorization"] = f"Bearer {tokens['business_manager']}"
        for round_number in range(rounds):  # the last round is reported: earlier ones warm the caches
            body = cspr_case_body(f"Statement count {round_number}", f"Child S{round_number}")
            with counter.measure() as created:
                response = client.post("/api/v1/cases", json=body)
            assert response.status_code == 201, response.text
            case_id = response.json()["id"]
            tasks = client.get("/api/v1/tasks", params={"case_id": case_id, "state": "open"}).json()["items"]
            task_id = next(t["id"] for t in tasks if t["element_id"] == NOTIFY_ELEMENT)
            with counter.measure() as completed:
                response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"notified_at": today()}})
            assert response.status_code == 200, response.text
            with counter.measure() as listed:
                response = client.get("/api/v1/tasks", params={"state": "open", "role": "business_manager"})
            assert response.status_code == 200, response.text
            with counter.measure() as read:
                response = client.get(f"/api/v1/cases/{case_id}")
            assert response.status_code == 200, response.text
            approval = {"case_type": "bench_approval", "title": "Approval", "subject_pseudonym": "A", "data": {}}
            with counter.measure() as approval_opened:
                response = client.post("/api/v1/cases", json=approval)
            assert response.status_code == 201, response.text
            (approval_task,) = client.get("/api/v1/tasks", params={"case_id": response.json()["id"]}).json()["items"]
            with counter.measure() as approval_completed:
                response = client.post(
                    f"/api/v1/tasks/{approval_task['id']}/complete", json={"data": TASK_ANSWERS["bench_approval"]}
                )
            assert response.status_code == 200, response.text
            results = {
                "create case": created,
                "complete task": completed,
                "list tasks": listed,
                "get case": read,
                "approval open": approval_opened,
                "approval done": approval_completed,
            }
    for name, counts in results.items():
        log(f"{name:14s} {counts.summary()}")
        if show_sql:
            for sql in counts.statements:
                log("    " + " ".join(sql.split())[:160])
    get_engine(url).dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file; PostgreSQL is re-created")
    parser.add_argument("--show-sql", action="store_true", help="print each statement (shortened)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the last is reported (default 3)")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    with fresh_database(args.database_url, keep=False) as (url, path):
        run(url, show_sql=args.show_sql, rounds=max(1, args.rounds), sqlite_path=path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

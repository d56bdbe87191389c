"""The benchmark's database: a fresh one, the demo set-up, the preload, counts and query plans."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.support import AGENCIES, NOTIFY_ELEMENT, START_DATA_BASE, Progress, log, safe_url

# --------------------------------------------------------------------------------------------- database


@contextmanager
def fresh_database(database_url: str | None, keep: bool) -> Iterator[tuple[str, Path | None]]:
    """Yield (url, sqlite file or None) of an empty database; a temp SQLite file unless a URL is given."""
    if database_url is None:
        directory = Path(tempfile.mkdtemp(prefix="lif-bench-"))
        path = directory / "bench.db"
        try:
            yield f"sqlite:///{path}", path
        finally:
            if keep:
                log(f"(kept the database: {path})")
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(url.database + suffix).unlink(missing_ok=True)
        yield database_url, Path(url.database) if url.database else None
        return
    if backend != "postgresql":
        raise SystemExit(f"unsupported database: {safe_url(database_url)} (use sqlite or postgresql+psycopg)")
    name = url.database
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit("give the PostgreSQL benchmark its own database name, e.g. .../lif_bench")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {quoted}"))
    admin.dispose()
    yield database_url, None


def count_rows(url: str) -> dict[str, Any]:
    from service.db.session import unit_of_work

    with unit_of_work(write=False, url=url) as session:
        cases = session.execute(text("SELECT count(*) FROM case_record")).scalar_one()
        instances = session.execute(text("SELECT count(*) FROM process_instance")).scalar_one()
        by_state = dict(session.execute(text("SELECT state, count(*) FROM human_task GROUP BY state")).all())
        open_bm = session.execute(
            text("SELECT count(*) FROM human_task WHERE state = 'open' AND role = 'business_manager'")
        ).scalar_one()
        timers = session.execute(text("SELECT count(*) FROM timer")).scalar_one()
        audit = session.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
        access = session.execute(text("SELECT count(*) FROM access_event")).scalar_one()
    return {
        "cases": int(cases),
        "instances": int(instances),
        "tasks": int(sum(by_state.values())),
        "tasks_by_state": {str(k): int(v) for k, v in sorted(by_state.items())},
        "open_business_manager_tasks": int(open_bm),
        "timers": int(timers),
        "audit_events": int(audit),
        "access_events": int(access),
    }


def database_size(url: str, sqlite_path: Path | None) -> int | None:
    if sqlite_path is not None:
        return sum(
            p.stat().st_size
            for p in (sqlite_path, Path(f"{sqlite_path}-wal"), Path(f"{sqlite_path}-shm"))
            if p.exists()
        )
    if make_url(url).get_backend_name() == "postgresql":
        from service.db.session import unit_of_work

        with unit_of_work(write=False, url=url) as session:
            return int(session.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    return None


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def set_sqlite_statistics(url: str, *, present: bool) -> None:
    """ANALYZE (present=True) or drop the planner statistics again (present=False)."""
    from service.db.session import unit_of_work

    with unit_of_work(url=url) as session:
        if present:
            session.execute(text("ANALYZE"))
        else:
            for table in ("sqlite_stat1", "sqlite_stat4"):
                session.execute(text(f"DROP TABLE IF EXISTS {table}"))


# The service's hot queries, as SQLAlchemy emits them (parameters as ?), to show the plans the server gets.
SQLITE_PLANS = {
    "timer lookup in stepper._project_timers (every create and complete)": (
        "SELECT timer.id FROM timer WHERE timer.instance_id = ? AND timer.status = ?",
        ("00000000000000000000000000000000", "waiting"),
    ),
    "open tasks of an instance in stepper._project_tasks": (
        "SELECT human_task.id FROM human_task WHERE human_task.instance_id = ? AND human_task.state = ?",
        ("00000000000000000000000000000000", "open"),
    ),
}
# The lists are planned as the service builds them (list_statements): their shape follows the scope and filters.
LISTS = {
    "GET /tasks?state=open&role=business_manager&scope=all": ({"state": "open", "role": "business_manager"}, "all"),
    "GET /tasks (my work)": ({}, "work"),
}


def list_statements(url: str, token: str) -> dict[str, tuple[str, tuple[Any, ...]]]:
    """The statements the service sends for the lists the benchmark times, caught as they are sent (as the
    token's holder, first page of 50)."""
    from sqlalchemy import event

    from service.db.session import unit_of_work
    from service.identity.tokens import authenticate
    from service.tasks.service import list_tasks
    from service.tasks.worklist import TaskFilters

    caught: dict[str, tuple[str, tuple[Any, ...]]] = {}
    with unit_of_work(write=False, url=url) as session:
        principal = authenticate(session, token)
        bind = session.get_bind()
        sent: list[tuple[str, tuple[Any, ...]]] = []

        def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
            sent.append((statement, tuple(parameters)))

        for label, (filters, scope) in LISTS.items():
            sent.clear()
            event.listen(bind, "before_cursor_execute", catch)
            try:
                list_tasks(session, principal, TaskFilters(**filters), scope=scope, cursor=None, limit=50)  # type: ignore[arg-type]
            finally:
                event.remove(bind, "before_cursor_execute", catch)
            for number, statement in enumerate(sent, 1):
                caught[f"{label}, statement {number} of {len(sent)}" if len(sent) > 1 else label] = statement
    return caught


def sqlite_plans(path: Path, more: dict[str, tuple[str, tuple[Any, ...]]] | None = None) -> dict[str, str]:
    """EXPLAIN QUERY PLAN of the hot queries (and ``more``) on a fresh connection, as a new server process would
    plan them."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        stats = connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()[0]
        plans = {"(planner statistics)": "present (ANALYZE)" if stats else "absent (as in a deployment)"}
        for label, (sql, params) in {**SQLITE_PLANS, **(more or {})}.items():
            rows = connection.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            plans[label] = "; ".join(str(row[-1]) for row in rows)
        return plans
    finally:
        connection.close()


# --------------------------------------------------------------------------------------------- set-up


def setup(url: str, bpmn_dir: Path | None = None) -> dict[str, str]:
    """Schema, demo partnership and tokens, bundled definitions registered (as the server would on start)."""
    from service.cli import migrate
    from service.config import get_settings
    from service.db.session import unit_of_work
    from service.demo import seed
    from service.processes import registry

    migrate(url)
    with unit_of_work(url=url) as session:
        tokens = seed(session)
    with unit_of_work(url=url) as session:
        registry.sync_bundled(session, bpmn_dir or get_settings().bpmn_dir)
    return tokens


def completes(index: int, fraction: float) -> bool:
    """Spread completions evenly: case i is completed when floor((i+1)f) > floor(i f)."""
    return int((index + 1) * fraction) > int(index * fraction)


def preload(url: str, tokens: dict[str, str], *, cases: int, batch: int, fraction: float) -> dict[str, Any]:
    """Create ``cases`` CSPR cases in-process, completing the first task of ``fraction`` of them.

    On SQLite the planner has no statistics unless someone runs ANALYZE (the service never does), and
    without them the service's per-step timer lookup scans every waiting timer, so a bulk load slows
    down quadratically. The preload therefore gathers statistics after its first batch; ``main``
    removes them again before the server starts (unless --analyze), so what is measured over HTTP is
    the database as a deployment would have it. See README.md, "SQLite planner statistics".
    """
    from sqlmodel import select

    from service.cases.service import create_case
    from service.db.session import unit_of_work
    from service.engine.functions import today
    from service.identity.tokens import authenticate
    from service.models import HumanTask
    from service.tasks.service import complete

    with unit_of_work(write=False, url=url) as session:
        principal = authenticate(session, tokens["business_manager"])
    aware_at = today()
    case_ids: list[str] = []
    completed = 0
    progress = Progress("preload", cases)
    progress.update(0)
    done = 0
    while done < cases:
        size = min(batch, cases - done)
        with unit_of_work(url=url) as session:
            for offset in range(size):
                index = done + offset
                created = create_case(
                    session,
                    principal,
                    case_type="cspr",
                    title=f"Bench review {index + 1}",
                    subject_pseudonym=f"Child {index + 1}",
                    involved_agencies=list(AGENCIES),
                    data={"aware_at": aware_at, **START_DATA_BASE},
                )
                case_id = created.view.case.id
                case_ids.append(str(case_id))
                if completes(index, fraction):
                    task_id = session.exec(
                        select(HumanTask.id).where(
                            HumanTask.case_id == case_id,
                            HumanTask.element_id == NOTIFY_ELEMENT,
                            HumanTask.state == "open",
                        )
                    ).one()
                    complete(session, principal, task_id, {"notified_at": aware_at}, if_match=None)
                    completed += 1
        if done == 0 and is_sqlite(url):
            set_sqlite_statistics(url, present=True)
        done += size
        progress.update(done, f"  (first task completed on {completed:,})")
    seconds = progress.finish()
    return {"case_ids": case_ids, "completed_first_task": completed, "seconds": seconds}

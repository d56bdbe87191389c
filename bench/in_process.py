"""In-process measurements: the bare engine doing a step, and the access log's write after a read."""

from __future__ import annotations

import datetime as dt
import gc
import json
import time

from sqlalchemy import text

from bench.support import AGENCIES, NOTIFY_ELEMENT, REPO_ROOT, START_DATA_BASE, summarise


def run_access_log(url: str, samples: int, warmup: int) -> dict[str, float]:
    """What the access log adds to a logged read: writing and committing its one entry after the read.

    That is exactly what the request boundary does after a read (api/deps.py: write_after_read, then commit):
    on SQLite a short write transaction of its own, on PostgreSQL the read's own transaction, committed. The
    read itself is measured over HTTP as get_case. In-process, same database, server stopped.
    """
    import uuid as uuid_module

    from service.audit.access import write_after_read
    from service.db.session import open_session
    from service.db.types import utcnow

    partnership = uuid_module.uuid4()
    times: list[float] = []
    for i in range(warmup + samples):
        entry = {
            "partnership_id": partnership,
            "at": utcnow(),
            "actor_id": None,
            "actor_label": "bench",
            "kind": "case.read",
            "object_type": "case",
            "object_id": str(uuid_module.uuid4()),
            "case_id": None,
        }
        session = open_session(write=False, url=url)
        try:
            session.execute(text("SELECT 1"))  # the read's transaction is open, as in a request
            started = time.perf_counter()
            if write_after_read(session, [entry], correlation_id="bench"):
                session.commit()
            elapsed = (time.perf_counter() - started) * 1000.0
        finally:
            session.close()
        if i >= warmup:
            times.append(elapsed)
    return summarise(times)


# --------------------------------------------------------------------------------------------- engine


def run_engine(samples: int, warmup: int) -> dict[str, dict[str, float]]:
    """The bare engine on the same diagram and start data as create_case: no HTTP, no database."""
    from service import engine
    from service.engine.functions import today
    from service.processes.settings import settings_for

    xml = (REPO_ROOT / "bpmn" / "cspr.bpmn").read_bytes()
    definition = engine.load_definition(xml, process_id="cspr", source="cspr.bpmn")
    start_data = {
        **settings_for({"rapid_review_clock_start": "awareness"}).model_dump(),  # the demo partnership's settings
        "aware_at": today(),
        **START_DATA_BASE,
        "case_reference": f"CSPR-{dt.date.today().year}-0001",
        "involved_agencies": list(AGENCIES),
    }
    info = definition.user_tasks[NOTIFY_ELEMENT]
    # As the service does: every form field is defined, unanswered ones as null.
    answers = {name: None for name in info.form_schema.get("properties", {})} | {"notified_at": today()}

    def start_once() -> tuple[float, engine.Snapshot, str]:
        started = time.perf_counter()
        snapshot = engine.start(definition, dict(start_data))
        encoded = json.dumps(snapshot.state)
        return (time.perf_counter() - started) * 1000.0, snapshot, encoded

    _, first, stored = start_once()
    notify = [t for t in first.ready_tasks if t.element_id == NOTIFY_ELEMENT]
    if len(notify) != 1 or len(first.ready_tasks) != 1:
        raise RuntimeError(f"unexpected first tasks: {first.ready_tasks} (did escalations fire?)")
    task_id = notify[0].task_id

    decode_ms: list[float] = []
    step_ms: list[float] = []
    encode_ms: list[float] = []

    def complete_once() -> float:
        t0 = time.perf_counter()
        state = json.loads(stored)
        t1 = time.perf_counter()
        snapshot = engine.complete_task(definition, state, task_id, dict(answers))
        t2 = time.perf_counter()
        json.dumps(snapshot.state)
        t3 = time.perf_counter()
        decode_ms.append((t1 - t0) * 1000.0)
        step_ms.append((t2 - t1) * 1000.0)
        encode_ms.append((t3 - t2) * 1000.0)
        return (t3 - t0) * 1000.0

    gc.collect()
    for _ in range(warmup):
        start_once()
    start_times = [start_once()[0] for _ in range(samples)]
    for _ in range(warmup):
        complete_once()
    decode_ms.clear()
    step_ms.clear()
    encode_ms.clear()
    complete_times = [complete_once() for _ in range(samples)]
    return {
        "start": summarise(start_times),
        "complete": summarise(complete_times),
        "complete.decode": summarise(decode_ms),
        "complete.engine": summarise(step_ms),
        "complete.encode": summarise(encode_ms),
        "_state_bytes": {"start": float(len(stored))},
    }

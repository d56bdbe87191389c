"""Where one CSPR completion's time goes, in process: the request, and the service's parts of it, each a median.

    python bench/breakdown.py [--database-url URL] [--rounds N]

Runs the real application in-process (FastAPI's TestClient, as bench/statements.py does) on a fresh database (a temp
SQLite file unless a PostgreSQL URL is given: that database is dropped and re-created), opens N CSPR cases and
completes each one's first task ("Notify the national Panel"), timing the parts named in ``PARTS`` with a wrapper
around each (wall time, so a part includes what it waits for: the database, the lock). Parts nest: the table says
which holds which. No HTTP, so the request figure is below bench/run.py's by the HTTP floor and the client.

A profiler's figures inflate Python twice or more; these are the same clocks bench/run.py reads, at the cost of
naming the parts here. A part that is no longer where its name says stops the run, rather than reading zero.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.database import fresh_database, setup  # noqa: E402
from bench.support import NOTIFY_ELEMENT, cspr_case_body, log  # noqa: E402

# (module, attribute, depth, what it is). A part is wrapped where its callers look it up: a module attribute they
# call through the module, or a method. Depth only indents the table.
PARTS: list[tuple[str, str, int, str]] = [
    ("api.deps", "authenticate", 1, "token look-up"),
    ("service.tasks.service", "complete", 1, "the completion, before its commit"),
    ("service.tasks.service", "_task_to_complete", 2, "read the task, its case and locked instance"),
    ("service.tasks.service", "_mark_completed", 2, "guarded UPDATE of the task"),
    ("service.engine.runtime", "_load", 2, "engine: decode the stored state"),
    ("service.engine.runtime", "_step", 2, "engine: run, then snapshot"),
    ("service.engine.runtime", "_run_until_waiting", 3, "run to the next wait"),
    ("service.engine.runtime", "_snapshot", 3, "snapshot (history, compaction, encode)"),
    ("service.engine.serialization", "dump", 4, "encode the state"),
    ("service.workflow.stepper", "_apply", 2, "store the outcome"),
    ("service.workflow.stepper", "_store", 3, "guarded UPDATE of the instance"),
    ("service.workflow.stepper", "_project_tasks", 3, "new tasks, their events and notices"),
    ("service.notifications.recipients", "principals", 4, "the people to tell (one query)"),
    ("service.workflow.stepper", "_project_timers", 3, "timer rows"),
    ("sqlalchemy.orm.session", "Session.commit", 1, "commit: the flush, then the database's commit"),
    ("sqlalchemy.orm.session", "Session.flush", 2, "the flush (every pending row)"),
]


class Clock:
    """Wall time per part: summed while a completion runs (``measure``), kept per completion."""

    def __init__(self) -> None:
        self.rounds: dict[str, list[float]] = {}
        self._running: dict[str, float] = {}
        self._on = False

    def wrap(self, owner: Any, attribute: str, label: str) -> None:
        inner: Callable[..., Any] = getattr(owner, attribute)
        self.rounds[label] = []
        running = self._running
        running[label] = 0.0

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                running[label] += time.perf_counter() - started

        setattr(owner, attribute, timed)

    @contextmanager
    def measure(self, *, keep: bool) -> Iterator[None]:
        for label in self._running:
            self._running[label] = 0.0
        yield
        if keep:
            for label, total in self._running.items():
                self.rounds[label].append(total)


def _resolve(module_name: str, attribute: str) -> tuple[Any, str]:
    owner: Any = importlib.import_module(module_name)
    name = attribute
    if "." in attribute:
        class_name, name = attribute.split(".")
        owner = getattr(owner, class_name, None)
    return owner, name


def missing_parts() -> list[str]:
    """The parts of ``PARTS`` no longer where their names say (tests/unit/test_bench_shapes.py keeps this empty)."""
    missing = []
    for module_name, attribute, _depth, _what in PARTS:
        owner, name = _resolve(module_name, attribute)
        if not callable(getattr(owner, name, None)):
            missing.append(f"{module_name}.{attribute}")
    return missing


def _install(clock: Clock) -> None:
    if missing := missing_parts():
        raise SystemExit(f"bench/breakdown.py: {', '.join(missing)} gone; update PARTS")
    for module_name, attribute, _depth, _what in PARTS:
        owner, name = _resolve(module_name, attribute)
        clock.wrap(owner, name, f"{module_name}.{attribute}")


def run(url: str, *, rounds: int, warmup: int) -> tuple[list[float], Clock]:
    import os
    import tempfile

    from bench.shapes import bpmn_folder

    bpmn_dir = bpmn_folder(Path(tempfile.mkdtemp(prefix="lif-breakdown-")) / "bpmn")
    os.environ["LIF_DATABASE_URL"] = url
    os.environ["LIF_BPMN_DIR"] = str(bpmn_dir)
    from fastapi.testclient import TestClient

    from api.app import create_app
    from service.config import get_settings
    from service.db.engine import get_engine
    from service.engine.functions import today

    get_settings.cache_clear()
    tokens = setup(url, bpmn_dir)
    clock = Clock()
    _install(clock)
    requests: list[float] = []
    with TestClient(create_app(get_settings())) as client:
        client.headers["Authorization"] = f"Bearer {tokens['business_manager']}"
        for number in range(warmup + rounds):
            response = client.post("/api/v1/cases", json=cspr_case_body(f"Breakdown {number}", f"Child B{number}"))
            assert response.status_code == 201, response.text
            case_id = response.json()["id"]
            listed = client.get("/api/v1/tasks", params={"case_id": case_id, "state": "open"}).json()["items"]
            task_id = next(t["id"] for t in listed if t["element_id"] == NOTIFY_ELEMENT)
            with clock.measure(keep=number >= warmup):  # only the completion: not the opening, not the list
                started = time.perf_counter()
                response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"notified_at": today()}})
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            if number >= warmup:
                requests.append(elapsed)
            if (number + 1) % 20 == 0:
                log(f"breakdown: {number + 1}/{warmup + rounds} completions")
    get_engine(url).dispose()
    return requests, clock


def report(backend: str, requests: list[float], clock: Clock) -> None:
    request = statistics.median(requests) * 1000
    log(f"CSPR completion in process ({backend}, {len(requests)} completions): p50 {request:.2f} ms, medians per part")
    log(f"  {'part':68s} {'ms':>6s} {'share':>6s}")
    log(f"  {'the request (TestClient, no HTTP)':68s} {request:6.2f} {100:5.0f}%")
    outer = 0.0
    for module_name, attribute, depth, what in PARTS:
        value = statistics.median(clock.rounds[f"{module_name}.{attribute}"]) * 1000
        outer += value if depth == 1 else 0.0
        label = "  " * depth + f"{what} ({attribute})"
        log(f"  {label:68s} {value:6.2f} {100 * value / request:5.0f}%")
    rest = max(0.0, request - outer)
    label = "  outside those: the test client, FastAPI, validation, the response"
    log(f"  {label:68s} {rest:6.2f} {100 * rest / request:5.0f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: a temp SQLite file; PostgreSQL is re-created")
    parser.add_argument("--rounds", type=int, default=100, help="timed completions (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed completions first (default 10)")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    with fresh_database(args.database_url, keep=False) as (url, _path):
        requests, clock = run(url, rounds=max(1, args.rounds), warmup=max(0, args.warmup))
    report("sqlite" if url.startswith("sqlite") else "postgresql", requests, clock)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The loop shape: what completion #k costs in an instance that goes round and round.

    python bench/loop.py [--passes 2000] [--database-url URL] [--json FILE]   # on its own, fresh database
    (bench/run.py calls run_loop after its HTTP rounds, on its database)

The diagram is tests/fixtures/cycle_probe.bpmn: each pass forks a user task (with a boundary timer) beside an
automatic branch that waits at a parallel join, then counts and goes round. Completion #k is timed three ways:
the bare engine in-process (JSON decode + engine.complete_task + JSON encode: the floor), the service layer
in-process (one unit of work, commit included, as a request has), and over HTTP against `lif serve`.

One instance per mark (#10, #100, #500, #2000) is first taken to just before its mark, untimed; then the
instances take their next completions in interleaved rounds (#8, #98, #498, #1998, #9, #99, ...), so every mark
sees the same machine load, and each mark is the median of its 2 x WINDOW + 1 completions. The engine is also
run with its history kept (compaction off, as before) for #10 and #100: that is the "before" curve.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.support import log  # noqa: E402

PROBE = REPO_ROOT / "tests" / "fixtures" / "cycle_probe.bpmn"
MARKS = (10, 100, 500, 2000)
WINDOW = 5  # completions either side of a mark that count towards it (11 in all: the machine is shared)
# With its history kept a step on this diagram costs O(passes) and near #100 exceeds the step's 1 s budget.
KEPT_MARKS = (10, 50)

Complete = Callable[[int], float]  # complete pass #n of one instance; returns milliseconds


def _marks(passes: int, marks: tuple[int, ...] = MARKS) -> list[int]:
    return [mark for mark in marks if mark <= passes] or [max(passes, WINDOW + 1)]


def _check_step(number: int, open_elements: list[str]) -> None:
    # Every pass must find exactly the loop's task open: no false completion, no early way out.
    if open_elements != ["Task_Step"]:
        raise RuntimeError(f"before pass #{number} the open tasks were {open_elements}, not ['Task_Step']")


def _curve(marks: list[int], open_instance: Callable[[int], Complete]) -> dict[str, float]:
    """One instance per mark, taken untimed to #mark-WINDOW-1, then timed in interleaved rounds; '#k' -> median."""
    instances = {mark: open_instance(mark + WINDOW) for mark in marks}
    for mark, complete in instances.items():
        for number in range(1, mark - WINDOW):
            complete(number)
    times: dict[int, list[float]] = {mark: [] for mark in marks}
    for offset in range(-WINDOW, WINDOW + 1):
        for mark, complete in instances.items():
            times[mark].append(complete(mark + offset))
    return {f"#{mark}": statistics.median(values) for mark, values in times.items()}


def run_loop_engine(passes: int, *, keep_history: bool = False) -> dict[str, Any]:
    """The bare engine; with ``keep_history`` compaction is off, as before."""
    from service import engine
    from service.access.roles import ALL_ROLES
    from service.engine import history

    definition = engine.load_definition(
        PROBE.read_bytes(), process_id="cycle_probe", source="probe", known_roles=ALL_ROLES
    )
    sizes: dict[int, int] = {}

    def open_instance(limit: int) -> Complete:
        snapshot = engine.start(definition, {"limit": limit + 1})
        stored = json.dumps(snapshot.state)

        def complete(number: int) -> float:
            nonlocal snapshot, stored
            _check_step(number, [t.element_id for t in snapshot.ready_tasks])
            started = time.perf_counter()
            state = json.loads(stored)
            snapshot = engine.complete_task(definition, state, snapshot.ready_tasks[0].task_id, {"note": str(number)})
            stored = json.dumps(snapshot.state)
            elapsed = (time.perf_counter() - started) * 1000.0
            sizes[limit - WINDOW] = len(stored)
            return elapsed

        return complete

    compact = history.compact
    if keep_history:
        history.compact = lambda workflow: 0
    try:
        curve: dict[str, Any] = _curve(_marks(passes, KEPT_MARKS if keep_history else MARKS), open_instance)
    except engine.EngineError as exc:  # the "before" engine refusing a step is a result, not a failure
        curve = {"refused": str(exc)[:160]}
    finally:
        history.compact = compact
    return {**curve, "state_bytes": {f"#{mark}": size for mark, size in sorted(sizes.items())}}


def _register_probe(url: str) -> None:
    # As the test suite does with its probes: registered like a bundled diagram (a probe has no layout, so
    # a process owner's deployment, which insists on one, would refuse it).
    import shutil
    import tempfile

    from service.db.session import unit_of_work
    from service.processes import registry

    with tempfile.TemporaryDirectory() as folder, unit_of_work(url=url) as session:
        shutil.copyfile(PROBE, Path(folder) / PROBE.name)
        registry.sync_bundled(session, Path(folder))


def run_loop_service(url: str, tokens: dict[str, str], passes: int) -> dict[str, Any]:
    """Through the service layer in-process: one unit of work per completion, as a request has."""
    from sqlmodel import select

    from service.cases.service import create_case
    from service.db.session import unit_of_work
    from service.identity.tokens import authenticate
    from service.models import HumanTask
    from service.tasks.service import complete

    with unit_of_work(write=False, url=url) as session:
        principal = authenticate(session, tokens["business_manager"])

    def open_instance(limit: int) -> Complete:
        with unit_of_work(url=url) as session:
            created = create_case(
                session,
                principal,
                case_type="cycle_probe",
                title=f"Loop bench to #{limit - WINDOW} (in process)",
                subject_pseudonym="n/a",
                involved_agencies=[],
                data={"limit": limit + 1},
            )
            case_id = created.view.case.id

        def complete_one(number: int) -> float:
            with unit_of_work(write=False, url=url) as session:
                rows = session.exec(
                    select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.state == "open")
                ).all()
            _check_step(number, [row.element_id for row in rows])
            task_id = rows[0].id
            started = time.perf_counter()
            with unit_of_work(url=url) as session:  # the transaction and its commit, as a request's
                complete(session, principal, task_id, {"note": str(number)}, if_match=None)
            return (time.perf_counter() - started) * 1000.0

        return complete_one

    return _curve(_marks(passes), open_instance)


def run_loop_http(base_url: str, token: str, passes: int) -> dict[str, Any]:
    """Over HTTP: POST /tasks/{id}/complete timed; finding the open task (GET /tasks) is not."""
    import httpx

    with httpx.Client(
        base_url=base_url, timeout=120, trust_env=False, headers={"Authorization": f"Bearer {token}"}
    ) as client:

        def open_instance(limit: int) -> Complete:
            body = {"case_type": "cycle_probe", "title": "Loop bench (HTTP)", "subject_pseudonym": "n/a"}
            response = client.post("/api/v1/cases", json={**body, "data": {"limit": limit + 1}})
            if response.status_code != 201:
                raise RuntimeError(f"could not open a loop case: {response.text[:300]}")
            case_id = response.json()["id"]

            def complete_one(number: int) -> float:
                found = client.get("/api/v1/tasks", params={"case_id": case_id, "state": "open"}).json()["items"]
                _check_step(number, [task["element_id"] for task in found])
                started = time.perf_counter()
                done = client.post(f"/api/v1/tasks/{found[0]['id']}/complete", json={"data": {"note": str(number)}})
                elapsed = (time.perf_counter() - started) * 1000.0
                if done.status_code != 200:
                    raise RuntimeError(f"loop pass {number}: {done.status_code} {done.text[:300]}")
                return elapsed

            return complete_one

        return _curve(_marks(passes), open_instance)


def run_loop(url: str, tokens: dict[str, str], *, server: Any, passes: int = 2000) -> dict[str, Any]:
    """Every loop measurement on a migrated, seeded database; ``server`` (a bench.server.Server) serves HTTP."""
    log("")
    log(f"[loop] instances going round up to {passes:,} times (tests/fixtures/cycle_probe.bpmn)")
    _register_probe(url)
    report: dict[str, Any] = {"passes": passes}
    report["engine"] = run_loop_engine(passes)
    report["engine_history_kept"] = run_loop_engine(passes, keep_history=True)
    report["service"] = run_loop_service(url, tokens, passes)
    try:
        server.start()
        report["http"] = run_loop_http(server.base_url, tokens["business_manager"], passes)
    finally:
        server.stop()
    _print(report)
    return report


def _print(report: dict[str, Any]) -> None:
    floor = report["engine"]
    log(f"  completion #k, ms (median of #k-{WINDOW}..#k+{WINDOW}, marks interleaved); [ratio to the engine floor]")
    for label, key in [
        ("engine, history kept (before)", "engine_history_kept"),
        ("engine, compacted (the floor)", "engine"),
        ("service layer, in process", "service"),
        ("HTTP", "http"),
    ]:
        row = report[key]
        cells = []
        for mark in (k for k in row if k.startswith("#")):
            ratio = f" [{row[mark] / floor[mark]:.1f}x]" if key in ("service", "http") and mark in floor else ""
            cells.append(f"{mark} {row[mark]:8.2f}{ratio}")
        flat = f"  #500/#10 {row['#500'] / row['#10']:.2f}" if "#500" in row else ""
        refused = f"  refused: {row['refused']}" if "refused" in row else ""
        log(f"  {label:<30} " + "  ".join(cells) + flat + refused)
    for key in ("engine_history_kept", "engine"):
        sizes = ", ".join(f"{mark} {size:,} B" for mark, size in report[key]["state_bytes"].items())
        log(f"  stored state, {'history kept' if key != 'engine' else 'compacted'}: {sizes}")
    log("  target: completion #500 <= 1.5 x completion #10")


def main(argv: list[str] | None = None) -> int:
    import tempfile

    from bench.database import fresh_database, setup
    from bench.server import Server
    from bench.shapes import bpmn_folder

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passes", type=int, default=2000, help="passes round the loop (default 2000)")
    parser.add_argument("--database-url", default=None, help="as bench/run.py (PostgreSQL: dropped and re-created)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.passes < 2 * WINDOW + 1:
        parser.error(f"--passes must be at least {2 * WINDOW + 1}")
    import logging
    import os

    os.environ.setdefault("LIF_LOG_LEVEL", "WARNING")
    logging.basicConfig(level=logging.WARNING)
    with fresh_database(args.database_url, False) as (url, _), tempfile.TemporaryDirectory() as log_dir:
        bpmn_dir = bpmn_folder(Path(log_dir) / "bpmn")
        server = Server(url, Path(log_dir) / "server.log", bpmn_dir=bpmn_dir)
        report = run_loop(url, setup(url, bpmn_dir), server=server, passes=args.passes)
        from service.db.engine import get_engine

        get_engine(url).dispose()
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

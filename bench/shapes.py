"""Side-by-side shapes: the same small diagrams over HTTP and in the bare engine, and throughput under load.

The shapes (bench/shapes/*.bpmn) are the ones a comparison with another platform uses: an approval (start → one
user task → end), the approval with a non-interrupting PT5S timer on its task (completed before it fires, so the
timer is projected and then cancelled), and a loop (one user task repeated in one instance). Each HTTP figure is
printed beside the engine doing the same step in memory on the same diagram, and their ratio.
"""

from __future__ import annotations

import json
import shutil
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench import cpu
from bench.support import REPO_ROOT, summarise

SHAPES_DIR = Path(__file__).resolve().parent / "shapes"
SHAPES = {"approval": "bench_approval", "timer": "bench_timer"}  # label → case type (the diagram's file stem)
LOOP = "bench_loop"
TASK_ANSWERS = {"bench_approval": {"approved": True}, "bench_timer": {"approved": True}}


def bpmn_folder(target: Path) -> Path:
    """The bundled diagrams plus the benchmark's shapes in ``target`` (the server's LIF_BPMN_DIR)."""
    target.mkdir(parents=True, exist_ok=True)
    for source in [*(REPO_ROOT / "bpmn").glob("*.bpmn"), *SHAPES_DIR.glob("*.bpmn")]:
        shutil.copyfile(source, target / source.name)
    return target


# --------------------------------------------------------------------------------------------- engine floor


def _definition(process_key: str) -> Any:
    from service import engine
    from service.access.roles import ALL_ROLES

    xml = (SHAPES_DIR / f"{process_key}.bpmn").read_bytes()
    return engine.load_definition(xml, process_id=process_key, source=f"{process_key}.bpmn", known_roles=ALL_ROLES)


def _answers(definition: Any, element_id: str, given: dict[str, Any]) -> dict[str, Any]:
    info = definition.user_tasks[element_id]
    return {name: None for name in info.form_schema.get("properties", {})} | given


def engine_shape(process_key: str, samples: int, warmup: int) -> dict[str, dict[str, float]]:
    """The bare engine on one shape: start + encode, and decode + complete its one task + encode."""
    from service import engine

    definition = _definition(process_key)
    starts: list[float] = []
    completes: list[float] = []
    for i in range(warmup + samples):
        t0 = time.perf_counter()
        snapshot = engine.start(definition, {})
        stored = json.dumps(snapshot.state)
        t1 = time.perf_counter()
        (task,) = snapshot.ready_tasks
        answers = _answers(definition, task.element_id, TASK_ANSWERS[process_key])
        t2 = time.perf_counter()
        done = engine.complete_task(definition, json.loads(stored), task.task_id, answers)
        json.dumps(done.state)
        t3 = time.perf_counter()
        if i >= warmup:
            starts.append((t1 - t0) * 1000.0)
            completes.append((t3 - t2) * 1000.0)
    return {"start": summarise(starts), "complete": summarise(completes)}


def engine_loop(iterations: int) -> list[float]:
    """The bare engine completing the loop's task ``iterations`` times in one instance: ms per completion."""
    from service import engine

    definition = _definition(LOOP)
    snapshot = engine.start(definition, {})
    stored = json.dumps(snapshot.state)
    times: list[float] = []
    for i in range(iterations):
        (task,) = snapshot.ready_tasks
        answers = _answers(definition, task.element_id, {"done": i == iterations - 1})
        t0 = time.perf_counter()
        snapshot = engine.complete_task(definition, json.loads(stored), task.task_id, answers)
        stored = json.dumps(snapshot.state)
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


# --------------------------------------------------------------------------------------------- HTTP


def _open(client: httpx.Client, case_type: str, n: int) -> str:
    body = {"case_type": case_type, "title": f"bench {case_type} {n}", "subject_pseudonym": f"B{n}", "data": {}}
    response = client.post("/api/v1/cases", json=body)
    if response.status_code != 201:
        raise RuntimeError(f"POST /cases ({case_type}) -> {response.status_code}: {response.text[:300]}")
    return str(response.json()["id"])


def _open_task(client: httpx.Client, case_id: str) -> str:
    response = client.get("/api/v1/tasks", params={"case_id": case_id, "state": "open"})
    items = response.json()["items"] if response.status_code == 200 else []
    if len(items) != 1:
        raise RuntimeError(f"case {case_id}: expected one open task, got {response.text[:300]}")
    return str(items[0]["id"])


def _complete(client: httpx.Client, task_id: str, data: dict[str, Any]) -> None:
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data})
    if response.status_code != 200 or response.json()["state"] != "completed":
        raise RuntimeError(f"complete {task_id} -> {response.status_code}: {response.text[:300]}")


def http_shape(client: httpx.Client, process_key: str, samples: int, warmup: int) -> dict[str, dict[str, float]]:
    """Over HTTP: open a case of the shape (start), then complete its task (its id looked up untimed)."""
    starts: list[float] = []
    completes: list[float] = []
    for i in range(warmup + samples):
        t0 = time.perf_counter()
        case_id = _open(client, process_key, i)
        t1 = time.perf_counter()
        task_id = _open_task(client, case_id)
        t2 = time.perf_counter()
        _complete(client, task_id, TASK_ANSWERS[process_key])
        t3 = time.perf_counter()
        if i >= warmup:
            starts.append((t1 - t0) * 1000.0)
            completes.append((t3 - t2) * 1000.0)
    return {"start": summarise(starts), "complete": summarise(completes)}


def http_loop(client: httpx.Client, iterations: int) -> list[float]:
    """Over HTTP: one loop instance, its task completed ``iterations`` times; ms per completion."""
    case_id = _open(client, LOOP, 0)
    times: list[float] = []
    for i in range(iterations):
        task_id = _open_task(client, case_id)
        t0 = time.perf_counter()
        _complete(client, task_id, {"done": i == iterations - 1})
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


def loop_points(iterations: int) -> list[int]:
    """The completions (1-based) the report shows: #10, the middle and the last."""
    return sorted({p for p in (10, iterations // 2, iterations) if 1 <= p <= iterations})


def around(times: list[float], point: int, width: int = 5) -> float:
    """The median of the completions around #point (one slow request must not decide the figure)."""
    low = max(0, point - 1 - width // 2)
    return statistics.median(times[low : low + width])


# --------------------------------------------------------------------------------------------- throughput


def throughput(
    base_url: str, token: str, *, clients: int, seconds: float, server_group: int | None = None
) -> dict[str, Any]:
    """``clients`` threads, each with its own connection, doing approval cycles (start + look up + complete)
    for ``seconds``; cycles per second over all of them, the p50/p99 of one cycle, and where the CPU went
    (``server_group``: the server's process group, see bench/cpu.py)."""
    stop = threading.Event()
    lock = threading.Lock()
    cycles: list[float] = []
    failures: list[str] = []

    def work(number: int) -> None:
        with httpx.Client(
            base_url=base_url, timeout=120, trust_env=False, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            n = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    case_id = _open(client, "bench_approval", number * 1_000_000 + n)
                    _complete(client, _open_task(client, case_id), {"approved": True})
                except (RuntimeError, httpx.HTTPError) as exc:
                    with lock:
                        failures.append(str(exc))
                    return
                elapsed = (time.perf_counter() - t0) * 1000.0
                if not stop.is_set():
                    with lock:
                        cycles.append(elapsed)
                n += 1

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    settle = min(1.0, seconds / 5)  # the CPU is counted once every client is under way
    time.sleep(settle)
    first, counted = cpu.sample(server_group), len(cycles)
    time.sleep(seconds - settle)
    last, counted = cpu.sample(server_group), len(cycles) - counted
    stop.set()
    wall = time.perf_counter() - started
    for thread in threads:
        thread.join(timeout=150)
    if failures:
        raise RuntimeError(f"throughput with {clients} clients: {failures[0]}")
    stats = summarise(cycles) if cycles else {"p50": 0.0, "p99": 0.0, "n": 0}
    used = cpu.between(first, last, cycles=counted)
    return {"clients": clients, "cycles_per_second": len(cycles) / wall, **stats, **({"cpu": used} if used else {})}

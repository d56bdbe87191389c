"""LIF Service benchmark: preload cases, then time the real server over HTTP and the bare engine in-process.

    python bench/run.py [--cases N] [--samples M] [--database-url URL] [--json FILE]

This is a benchmark, not a test: it prints numbers and compares them with targets, it does not fail on
them. See bench/README.md for what each step does and how to read the output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench import shapes  # noqa: E402
from bench.database import (  # noqa: E402
    count_rows,
    database_size,
    fresh_database,
    list_statements,
    preload,
    set_sqlite_statistics,
    setup,
    sqlite_plans,
)
from bench.in_process import run_access_log, run_engine  # noqa: E402
from bench.loop import run_loop  # noqa: E402
from bench.report import HTTP_LABELS, print_shapes, print_stats_table, print_summary, print_throughput  # noqa: E402
from bench.server import Server  # noqa: E402
from bench.shapes import bpmn_folder  # noqa: E402
from bench.support import (  # noqa: E402
    AGENCIES,
    NOTIFY_ELEMENT,
    NOTIFY_NAME,
    START_DATA_BASE,
    Progress,
    fmt_duration,
    log,
    safe_url,
    summarise,
)

# --------------------------------------------------------------------------------------------- HTTP


class HttpBench:
    def __init__(self, base_url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=base_url,
            timeout=120,
            trust_env=False,
            headers={"Authorization": f"Bearer {token}"},
        )
        self.today: str = ""

    def close(self) -> None:
        self.client.close()

    def timed(self, method: str, path: str, expect: int, **kwargs: Any) -> tuple[float, httpx.Response]:
        started = time.perf_counter()
        response = self.client.request(method, path, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000.0
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path} -> {response.status_code}, expected {expect}: {response.text[:500]}")
        return elapsed, response

    def create_case(self, n: int) -> tuple[float, str]:
        body = {
            "case_type": "cspr",
            "title": f"HTTP bench review {n}",
            "subject_pseudonym": f"Child H{n}",
            "involved_agencies": list(AGENCIES),
            "data": {"aware_at": self.today, **START_DATA_BASE},
        }
        elapsed, response = self.timed("POST", "/api/v1/cases", 201, json=body)
        return elapsed, str(response.json()["id"])

    def notify_task_of(self, case_id: str) -> str:
        _, response = self.timed(
            "GET", "/api/v1/tasks", 200, params={"case_id": case_id, "state": "open", "scope": "all"}
        )
        found = [t["id"] for t in response.json()["items"] if t["element_id"] == NOTIFY_ELEMENT]
        if len(found) != 1:
            raise RuntimeError(f"case {case_id}: expected one open '{NOTIFY_NAME}' task, got {response.json()}")
        return str(found[0])

    def complete_task(self, task_id: str) -> float:
        elapsed, response = self.timed(
            "POST", f"/api/v1/tasks/{task_id}/complete", 200, json={"data": {"notified_at": self.today}}
        )
        if response.json()["state"] != "completed":
            raise RuntimeError(f"task {task_id} was not completed: {response.text[:500]}")
        return elapsed

    def list_tasks(self) -> float:
        elapsed, response = self.timed(
            "GET",
            "/api/v1/tasks",
            200,
            params={"state": "open", "role": "business_manager", "scope": "all", "limit": 50},
        )
        items = response.json()["items"]
        if not items or any(t["state"] != "open" or t["role"] != "business_manager" for t in items):
            raise RuntimeError(f"unexpected task list: {response.text[:500]}")
        return elapsed

    def my_work(self) -> float:
        """The list a front end opens first: the caller's own and claimable work (GET /tasks's default scope)."""
        elapsed, response = self.timed("GET", "/api/v1/tasks", 200, params={"limit": 50})
        if not response.json()["items"]:
            raise RuntimeError(f"the business manager has no work listed: {response.text[:500]}")
        return elapsed

    def health(self) -> float:
        elapsed, _ = self.timed("GET", "/health/live", 200)
        return elapsed

    def get_case(self, case_id: str) -> float:
        elapsed, response = self.timed("GET", f"/api/v1/cases/{case_id}", 200)
        if response.json()["id"] != case_id:
            raise RuntimeError(f"GET case {case_id} returned another case")
        return elapsed


def run_http(
    base_url: str, token: str, *, samples: int, warmup: int, preloaded_case_ids: list[str], rng: random.Random
) -> dict[str, dict[str, float]]:
    from service.engine.functions import today

    bench = HttpBench(base_url, token)
    bench.today = today()
    names = ("create_case", "complete_task", "list_tasks", "my_work", "get_case", "http_floor")
    results: dict[str, list[float]] = {name: [] for name in names}
    progress = Progress("http rounds", warmup + samples)
    try:
        # Rounds rather than one block per operation: a VM's CPU speed drifts over minutes, and interleaving
        # makes every operation see the same drift. Each round:
        for round_number in range(warmup + samples):
            times: dict[str, float] = {}
            # (a) open a case; (b) complete its fresh "Notify the national Panel" task (id looked up untimed);
            times["create_case"], case_id = bench.create_case(round_number + 1)
            times["complete_task"] = bench.complete_task(bench.notify_task_of(case_id))
            # (c) the first page of open business-manager tasks; (d) a random preloaded case (the whole
            # table, not just hot rows); (e) the floor: no database, no authentication.
            times["list_tasks"] = bench.list_tasks()
            times["my_work"] = bench.my_work()
            times["get_case"] = bench.get_case(rng.choice(preloaded_case_ids or [case_id]))
            times["http_floor"] = bench.health()
            if round_number >= warmup:
                for name, elapsed in times.items():
                    results[name].append(elapsed)
            progress.update(round_number + 1)
        progress.finish()
    finally:
        bench.close()
    return {name: summarise(times) for name, times in results.items()}


# --------------------------------------------------------------------------------------------- side by side


def run_side_by_side(server: Server, token: str, args: argparse.Namespace, report: dict[str, Any]) -> Server:
    """The shapes beside the bare engine, the loop, and throughput for each --workers value; returns the server
    that is running at the end (restarted once per further --workers value)."""
    log("")
    log(f"[5/6] shapes over HTTP and in the bare engine ({args.samples} samples each; loop: {args.loop} completions)")
    with httpx.Client(
        base_url=server.base_url, timeout=120, trust_env=False, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        report["shapes"] = {
            label: {
                "http": shapes.http_shape(client, key, args.samples, args.warmup),
                "engine": shapes.engine_shape(key, args.samples, args.warmup),
            }
            for label, key in shapes.SHAPES.items()
        }
        report["loop"] = {"http": shapes.http_loop(client, args.loop), "engine": shapes.engine_loop(args.loop)}
    print_shapes(report)
    report["throughput"] = []
    if not args.clients:
        return server
    log("")
    log(
        f"[6/6] throughput: approval cycles (start + look up + complete), {args.throughput_seconds:g}s per client "
        f"count, clients {', '.join(map(str, args.clients))}; API processes {', '.join(map(str, args.workers))}"
    )
    for index, workers in enumerate(args.workers):
        if index > 0:
            server.stop()
            server = Server(server.url, server.log_path, bpmn_dir=server.bpmn_dir, workers=workers)
            server.start()
        rows = [
            shapes.throughput(
                server.base_url, token, clients=clients, seconds=args.throughput_seconds, server_group=server.group
            )
            for clients in args.clients
        ]
        report["throughput"].append({"workers": workers, "rows": rows})
    print_throughput(report)
    return server


# --------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000, help="cases to preload (default 1000; up to 100,000+)")
    parser.add_argument("--samples", type=int, default=200, help="timed samples per operation (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed warm-up requests per operation (default 20)")
    parser.add_argument(
        "--database-url",
        default=None,
        help="default: a SQLite file in a temp dir. postgresql+psycopg://postgres@127.0.0.1:5432/<name> is "
        "DROPPED and re-created first.",
    )
    parser.add_argument(
        "--complete-fraction",
        type=float,
        default=0.5,
        help="fraction of preloaded cases whose first task is completed (default 0.5); stored tasks = "
        "cases x (1 + 3 x fraction)",
    )
    parser.add_argument("--batch-size", type=int, default=200, help="cases per preload transaction (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for choosing cases to read")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    parser.add_argument("--keep-db", action="store_true", help="keep the temporary SQLite database")
    parser.add_argument(
        "--server-log", type=Path, default=None, help="keep the server's output in this file (default: a temp file)"
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="SQLite: keep planner statistics (ANALYZE) for the server; the service itself never gathers them, "
        "so by default the benchmark measures without (PostgreSQL is always ANALYZEd, as autovacuum would)",
    )
    parser.add_argument("--loop", type=int, default=50, help="completions in one loop instance (default 50)")
    parser.add_argument(
        "--clients", default="1,4,8", help="throughput: concurrent clients, comma-separated (default 1,4,8; 0 = skip)"
    )
    parser.add_argument(
        "--throughput-seconds", type=float, default=5.0, help="throughput: seconds per client count (default 5)"
    )
    parser.add_argument(
        "--workers",
        default="1",
        help="API processes (lif serve --workers); a list such as 1,2 measures throughput with each (default 1)",
    )
    args = parser.parse_args(argv)
    try:
        args.clients = [int(c) for c in str(args.clients).split(",") if int(c) > 0]
        args.workers = [int(w) for w in str(args.workers).split(",")]
    except ValueError:
        parser.error("--clients and --workers take comma-separated whole numbers")
    if not args.workers or min(args.workers) < 1 or args.loop < 1:
        parser.error("--workers >= 1, --loop >= 1")
    if args.cases < 0 or args.samples < 1 or args.warmup < 0 or args.batch_size < 1:
        parser.error("--cases >= 0, --samples >= 1, --warmup >= 0, --batch-size >= 1")
    if not 0.0 <= args.complete_fraction <= 1.0:
        parser.error("--complete-fraction must be between 0 and 1")
    return args


def _raise_on_signal(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C and SIGTERM both end the run cleanly (SIGINT explicitly: a shell starts background jobs with it
    # ignored, and Python keeps an inherited "ignore").
    signal.signal(signal.SIGTERM, _raise_on_signal)
    signal.signal(signal.SIGINT, _raise_on_signal)
    # The preload runs the service in this process; keep its logging quiet like the server's.
    os.environ.setdefault("LIF_LOG_LEVEL", "WARNING")
    import logging

    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(args.seed)
    report: dict[str, Any] = {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
        },
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    server: Server | None = None
    server_log_dir: Path | None = None  # a temp dir for the server's output, removed unless something failed
    bpmn_dir: Path | None = None  # the bundled diagrams and the benchmark's shapes, for set-up and the server
    try:
        with fresh_database(args.database_url, args.keep_db) as (url, sqlite_path):
            backend = make_url(url).get_backend_name()
            report["database"] = {"backend": backend, "url": safe_url(url)}
            log(f"LIF Service benchmark: {args.cases:,} cases preloaded, {args.samples} samples per operation")
            log(f"database: {safe_url(url)}  (python {platform.python_version()}, {os.cpu_count()} cpus)")
            started = time.perf_counter()
            bpmn_dir = bpmn_folder(Path(tempfile.mkdtemp(prefix="lif-bench-bpmn-")))
            tokens = setup(url, bpmn_dir)
            log(f"schema migrated, demo seeded, definitions registered in {time.perf_counter() - started:.1f}s")

            log("")
            log("[1/4] engine baseline (in-process, no HTTP, no database)")
            report["engine"] = run_engine(args.samples, args.warmup)
            print_stats_table(
                "",
                [
                    ("engine.start + json encode", report["engine"]["start"]),
                    ("json decode + engine.complete_task + json encode", report["engine"]["complete"]),
                    ("  of which json decode", report["engine"]["complete.decode"]),
                    ("  of which engine.complete_task", report["engine"]["complete.engine"]),
                    ("  of which json encode", report["engine"]["complete.encode"]),
                ],
            )
            log(f"  stored state after start: {int(report['engine']['_state_bytes']['start']):,} bytes of JSON")

            log("")
            log(
                f"[2/4] preload: {args.cases:,} cspr cases in-process, batches of {args.batch_size}, first task "
                f"completed on {args.complete_fraction:.0%} of them"
            )
            loaded = preload(url, tokens, cases=args.cases, batch=args.batch_size, fraction=args.complete_fraction)
            if backend == "postgresql":
                # A bulk load leaves the planner without statistics; autovacuum would gather them in a
                # deployment, so gather them now rather than measure a state no real database is in.
                from service.db.engine import get_engine

                with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                    connection.execute(text("ANALYZE"))
            elif backend == "sqlite":
                # The service never runs ANALYZE on SQLite: measure without statistics unless asked to.
                set_sqlite_statistics(url, present=args.analyze)
            counts = count_rows(url)
            size = database_size(url, sqlite_path)
            rate = args.cases / loaded["seconds"] if loaded["seconds"] > 0 else 0.0
            report["preload"] = {
                "seconds": loaded["seconds"],
                "cases_per_second": rate,
                "completed_first_task": loaded["completed_first_task"],
                "counts": counts,
                "database_bytes": size,
            }
            log(
                f"  preloaded in {fmt_duration(loaded['seconds'])} ({rate:,.1f} cases/s; first task completed on "
                f"{loaded['completed_first_task']:,})"
            )
            log(
                f"  stored: {counts['cases']:,} cases, {counts['tasks']:,} human tasks "
                f"({', '.join(f'{k} {v:,}' for k, v in counts['tasks_by_state'].items())}; "
                f"open business-manager tasks {counts['open_business_manager_tasks']:,}), "
                f"{counts['timers']:,} timers, {counts['audit_events']:,} audit events"
                + (f"; database {size / 1e6:,.1f} MB" if size else "")
            )
            if sqlite_path is not None:
                report["sqlite_plans"] = sqlite_plans(sqlite_path, list_statements(url, tokens["business_manager"]))
                log("  query plans the server will get (SQLite EXPLAIN QUERY PLAN):")
                for label, plan in report["sqlite_plans"].items():
                    log(f"    {label}: {plan}")
            from service.db.engine import get_engine

            get_engine(url).dispose()  # the server has the database to itself from here on

            log("")
            log(
                f"[3/4] starting the server: lif serve --no-worker --no-migrate --workers {args.workers[0]} "
                "(LIF_LOG_LEVEL=WARNING)"
            )
            if args.server_log is None:
                server_log_dir = Path(tempfile.mkdtemp(prefix="lif-bench-server-"))
            log_path = args.server_log or (server_log_dir or Path(".")) / "server.log"
            server = Server(url, log_path, bpmn_dir=bpmn_dir, workers=args.workers[0])
            ready_after = server.start()
            pid = server.process.pid if server.process else "?"
            log(f"  ready at {server.base_url} after {ready_after:.1f}s (pid {pid})")

            log("")
            log(
                f"[4/4] HTTP over loopback (httpx, keep-alive): {args.warmup} warm-up + {args.samples} timed rounds of "
                "create, complete, list, get, floor"
            )
            report["http"] = run_http(
                server.base_url,
                tokens["business_manager"],
                samples=args.samples,
                warmup=args.warmup,
                preloaded_case_ids=loaded["case_ids"],
                rng=rng,
            )
            print_stats_table("", [(HTTP_LABELS[name], s) for name, s in report["http"].items()])
            server = run_side_by_side(server, tokens["business_manager"], args, report)
            server.stop()
            server = None
            report["after"] = {"counts": count_rows(url)}
            report["access_log"] = run_access_log(url, args.samples, args.warmup)
            report["loop"] = run_loop(
                url, tokens, server=Server(url, log_path.with_name("loop.log"), bpmn_dir=bpmn_dir)
            )
            print_summary(report)
            report["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            if args.json:
                args.json.write_text(json.dumps(report, indent=2) + "\n")
                log(f"\nresults written to {args.json}")
            from service.db.engine import get_engine

            get_engine(url).dispose()
    except KeyboardInterrupt:
        log("\ninterrupted")
        return 130
    except RuntimeError as exc:
        log(f"\nerror: {exc}")
        if server is not None:
            log(f"server log (kept: {server.log_path}):\n{server.tail()}")
            server_log_dir = None
        return 1
    finally:
        if server is not None:
            server.stop()
        if server_log_dir is not None:
            shutil.rmtree(server_log_dir, ignore_errors=True)
        if bpmn_dir is not None:
            shutil.rmtree(bpmn_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

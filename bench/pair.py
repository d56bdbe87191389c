"""PostgreSQL against SQLite, or this checkout against an earlier one: the same requests to two servers in turn,
interleaved, and the ratio per round.

    python bench/pair.py [--cases 1000] [--samples 200] [--database-url postgresql+psycopg://…/lif_pair]
    git worktree add ../before HEAD~1 && python bench/pair.py --before ../before [--backend postgresql]

Two runs of bench/run.py minutes apart compare two moments of a VM as much as two databases: on a shared 2-core
machine the speed of one request drifts by a factor of two within the hour (measured: the HTTP floor read 1.19 ms
in one run and 2.32 ms forty minutes later). Here both servers run at once, each round sends every operation to
one then the other (which goes first alternates), and each operation's ratio is taken within its round, so both
databases see the same moment. Reported per operation: each database's p50, the ratio of the p50s, and the median
of the per-round ratios (the figure drift cannot move). The PostgreSQL database is dropped and re-created.

With ``--before DIR`` both servers use one backend (SQLite by default), each its own database, and the earlier
checkout in DIR serves one of them (its code on PYTHONPATH, this venv's packages): the figure is after / before,
the same measure for a change that drift makes for a database. Each checkout builds and preloads its own database
(the earlier one in a subprocess, with its own migrations and code), so a change of schema is measured too; the
earlier checkout needs bench/pair.py's ``load`` (any checkout since this note).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402

from bench.database import fresh_database, is_sqlite, preload, set_sqlite_statistics, setup  # noqa: E402
from bench.run import HttpBench  # noqa: E402
from bench.server import Server  # noqa: E402
from bench.shapes import TASK_ANSWERS, _complete, _open, _open_task, bpmn_folder, throughput  # noqa: E402
from bench.support import Progress, log, safe_url  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/lif_pair"
APPROVAL = "bench_approval"


class Target:
    """One server and what a round needs of it: its own preloaded cases and a client for each kind of request."""

    def __init__(self, name: str, server: Server, token: str, case_ids: list[str]) -> None:
        self.name = name
        self.server = server
        self.token = token
        self.case_ids = case_ids
        self.bench = HttpBench(server.base_url, token)
        from service.engine.functions import today

        self.bench.today = today()
        self.client = httpx.Client(
            base_url=server.base_url, timeout=120, trust_env=False, headers={"Authorization": f"Bearer {token}"}
        )

    def close(self) -> None:
        self.bench.close()
        self.client.close()

    def round(self, n: int) -> dict[str, float]:
        """Every operation once, timed in ms (ids they need are looked up untimed)."""
        times: dict[str, float] = {}
        started = time.perf_counter()
        case_id = _open(self.client, APPROVAL, n)
        times["approval: open a case"] = (time.perf_counter() - started) * 1000.0
        task_id = _open_task(self.client, case_id)
        started = time.perf_counter()
        _complete(self.client, task_id, TASK_ANSWERS[APPROVAL])
        times["approval: complete"] = (time.perf_counter() - started) * 1000.0
        times["CSPR: open a case"], cspr = self.bench.create_case(n)
        times["CSPR: complete"] = self.bench.complete_task(self.bench.notify_task_of(cspr))
        times["scope=all list"] = self.bench.list_tasks()
        times["my work"] = self.bench.my_work()
        times["get a case"] = self.bench.get_case(self.case_ids[n % len(self.case_ids)])
        times["HTTP floor"] = self.bench.health()
        return times


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000, help="CSPR cases preloaded in each database (1000)")
    parser.add_argument("--samples", type=int, default=200, help="timed rounds (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds first (default 20)")
    parser.add_argument("--database-url", default=DEFAULT_PG, help=f"PostgreSQL, re-created (default {DEFAULT_PG})")
    parser.add_argument("--before", type=Path, help="an earlier checkout: compare it with this one, not two databases")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite", help="with --before")
    parser.add_argument(
        "--windows",
        type=int,
        default=0,
        help="then throughput: this many windows per server, taken in turn (default 0: none)",
    )
    parser.add_argument("--clients", type=int, default=4, help="throughput: concurrent clients (default 4)")
    parser.add_argument("--window-seconds", type=float, default=5.0, help="throughput: seconds a window (default 5)")
    args = parser.parse_args(argv)
    if args.before is not None and not (args.before / "service" / "cli.py").is_file():
        parser.error(f"--before {args.before}: not a checkout of this service (no service/cli.py)")
    return args


@dataclass(frozen=True)
class Side:
    """One of the two servers: a name for the table, its database (None: a temp SQLite file) and its code."""

    name: str
    database_url: str | None
    root: Path = REPO_ROOT


def sides(args: argparse.Namespace) -> tuple[Side, Side]:
    """What is compared: SQLite then PostgreSQL, or (``--before``) the earlier checkout then this one."""
    if args.before is None:
        return Side("SQLite", None), Side("PostgreSQL", args.database_url)
    if args.backend == "sqlite":
        return Side("before", None, args.before.resolve()), Side("after", None)
    return Side("before", args.database_url + "_before", args.before.resolve()), Side("after", args.database_url)


# Run by the earlier checkout's Python path: its migrations build its database and its code preloads it.
_LOAD_ELSEWHERE = """
import json, sys
from pathlib import Path
from bench.pair import load
tokens, case_ids = load(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
print(json.dumps({"tokens": tokens, "case_ids": case_ids}))
"""


def load(url: str, bpmn_dir: Path, cases: int) -> tuple[dict[str, str], list[str]]:
    """Schema, demo and ``cases`` preloaded cases in ``url``, by this checkout's migrations and code."""
    tokens = setup(url, bpmn_dir)
    loaded = preload(url, tokens, cases=cases, batch=200, fraction=0.5)
    if is_sqlite(url):  # what a deployment has: the preload gathered planner statistics, the server not
        set_sqlite_statistics(url, present=False)
    return tokens, loaded["case_ids"]


def _load_with(root: Path, url: str, bpmn_dir: Path, cases: int) -> tuple[dict[str, str], list[str]]:
    """``load`` as the checkout in ``root`` does it: a side with an earlier schema gets that schema."""
    if root == REPO_ROOT:
        return load(url, bpmn_dir, cases)
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_ELSEWHERE, url, str(bpmn_dir), str(cases)],
        cwd=root, env=env, check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded["tokens"], loaded["case_ids"]


def _prepared(stack: ExitStack, side: Side, bpmn_dir: Path, cases: int, logs: Path) -> tuple[Server, str, list[str]]:
    url, _ = stack.enter_context(fresh_database(side.database_url, keep=False))
    tokens, case_ids = _load_with(side.root, url, bpmn_dir, cases)
    server = Server(url, logs / f"{side.name}.log", bpmn_dir=bpmn_dir, root=side.root)
    server.start()
    stack.callback(server.stop)
    log(f"{side.name}: {safe_url(url)}, code from {side.root}, {cases:,} cases preloaded, server on {server.base_url}")
    return server, tokens["business_manager"], case_ids


def _table(first: str, second: str, rows: dict[str, tuple[list[float], list[float]]]) -> None:
    ratio = f"{second}/{first}"
    log(
        f"  {'operation':28s} {first + ' p50':>11s} {second + ' p50':>14s} {ratio:>17s} {'per round':>10s}"
        f" {first + ' p99':>11s} {second + ' p99':>14s}   (ms)"
    )
    for name, (one, other) in rows.items():
        ratios = [b / a for a, b in zip(one, other, strict=True)]
        one50, other50 = statistics.median(one), statistics.median(other)
        log(
            f"  {name:28s} {one50:11.2f} {other50:14.2f} {other50 / one50:17.2f} {statistics.median(ratios):10.2f}"
            f" {_p99(one):11.2f} {_p99(other):14.2f}"
        )
    log(f"  per round: the median of {ratio} taken within each round (both at the same moment)")


def _p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98] if len(times) > 1 else times[0]


def _throughput(targets: list[Target], args: argparse.Namespace) -> None:
    """Approval cycles from ``args.clients`` clients, one server at a time, in windows taken in turn (ABBA...), so
    both see the same drift; a window's p99 is where a pause of the whole process (a lock, a full garbage
    collection) shows, which a p50 hides."""
    log(f"throughput: {args.windows} windows of {args.window_seconds:g}s per server, {args.clients} clients, in turn")
    windows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in targets}
    progress = Progress("windows", 2 * args.windows)
    for n in range(args.windows):
        for target in targets if n % 2 == 0 else targets[::-1]:
            windows[target.name].append(
                throughput(
                    target.server.base_url,
                    target.token,
                    clients=args.clients,
                    seconds=args.window_seconds,
                    server_group=target.server.group,
                )
            )
            progress.update(sum(map(len, windows.values())))
    progress.finish()
    first, second = (t.name for t in targets)
    log(f"  {'server':8s} {'cycles/s':>9s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} {'server CPU ms/cycle':>20s}")
    for name, rows in windows.items():
        cpu_ms = [row["cpu"]["server_ms"] for row in rows if "cpu" in row]
        log(
            f"  {name:8s} {statistics.median(r['cycles_per_second'] for r in rows):9.1f}"
            f" {statistics.median(r['p50'] for r in rows):8.1f} {statistics.median(r['p99'] for r in rows):8.1f}"
            f" {max(r['max'] for r in rows):8.1f} {statistics.median(cpu_ms) if cpu_ms else float('nan'):20.1f}"
        )
    ratios = [
        b["cycles_per_second"] / a["cycles_per_second"]
        for a, b in zip(windows[first], windows[second], strict=True)
        if a["cycles_per_second"]
    ]
    log(f"  medians over windows; {second}/{first} cycles/s, window by window: median {statistics.median(ratios):.2f}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("LIF_LOG_LEVEL", "WARNING")
    logs = Path(tempfile.mkdtemp(prefix="lif-pair-"))
    bpmn_dir = bpmn_folder(logs / "bpmn")
    first, second = sides(args)
    log(f"{second.name} against {first.name}, interleaved: {args.cases:,} cases each, {args.samples} rounds")
    log(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with ExitStack() as stack:
        targets = [Target(side.name, *_prepared(stack, side, bpmn_dir, args.cases, logs)) for side in (first, second)]
        for target in targets:
            stack.callback(target.close)
        samples: dict[str, dict[str, list[float]]] = {t.name: {} for t in targets}
        progress = Progress("rounds", args.warmup + args.samples)
        for n in range(args.warmup + args.samples):
            order: list[Target] = targets if n % 2 == 0 else targets[::-1]
            measured = {t.name: t.round(n) for t in order}
            if n >= args.warmup:
                for name, times in measured.items():
                    for op, ms in times.items():
                        samples[name].setdefault(op, []).append(ms)
            progress.update(n + 1)
        progress.finish()
        log(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        one, other = samples[first.name], samples[second.name]
        _table(first.name, second.name, {op: (one[op], other[op]) for op in one})
        if args.windows:
            _throughput(targets, args)
    shutil.rmtree(logs, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

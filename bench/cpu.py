"""Where the machine's CPU goes during a throughput window: the API processes, the database, the client.

Read from Linux /proc (no extra dependency); elsewhere every figure is None. A throughput figure alone cannot say
whether more API processes would help: this can. When the machine is already busy nearly all the time with one
process, a second one has no core to run on, and the CPU each cycle costs says what more cores would give.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Sample:
    """Cumulative CPU seconds at one moment."""

    at: float
    machine_busy: float
    machine_total: float
    server: float
    database: float
    client: float


def _machine() -> tuple[float, float]:
    fields = [int(v) for v in (_PROC / "stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return (total - idle) / _TICK, total / _TICK


def _processes() -> list[tuple[int, str, int, float]]:
    """(pid, command, process group, CPU seconds) of every process we may read."""
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        command = text[text.index("(") + 1 : text.rindex(")")]
        rest = text[text.rindex(")") + 2 :].split()
        # After the command: state ppid pgrp session ... utime(14th field overall) stime(15th).
        found.append((int(entry.name), command, int(rest[2]), (int(rest[11]) + int(rest[12])) / _TICK))
    return found


def available() -> bool:
    return (_PROC / "stat").exists()


def sample(server_group: int | None) -> Sample | None:
    """CPU used so far by the machine, the server's process group, PostgreSQL's processes and this process."""
    if not available():
        return None
    busy, total = _machine()
    server = database = 0.0
    for _pid, command, group, seconds in _processes():
        if server_group is not None and group == server_group:
            server += seconds
        elif command.startswith("postgres"):
            database += seconds
    own = os.times()
    return Sample(time.perf_counter(), busy, total, server, database, own.user + own.system)


def between(first: Sample | None, last: Sample | None, *, cycles: int) -> dict[str, float] | None:
    """Machine busy share, and CPU milliseconds per cycle for the server, the database and the client."""
    if first is None or last is None or cycles <= 0:
        return None
    total = last.machine_total - first.machine_total
    per = 1000.0 / cycles
    return {
        "machine_busy": (last.machine_busy - first.machine_busy) / total if total > 0 else 0.0,
        "cores": os.cpu_count() or 1,
        "server_ms": (last.server - first.server) * per,
        "database_ms": (last.database - first.database) * per,
        "client_ms": (last.client - first.client) * per,
        "machine_ms": (last.machine_busy - first.machine_busy) * per,
    }

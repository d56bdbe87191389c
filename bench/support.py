"""Benchmark helpers: logging, statistics, progress lines, constants shared by every part."""

from __future__ import annotations

import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]
AGENCIES = ["police", "health", "la"]
START_DATA_BASE = {"incident_type": "serious_harm"}
NOTIFY_ELEMENT = "Task_NotifyPanel"
NOTIFY_NAME = "Notify the national Panel"

# --------------------------------------------------------------------------------------------- helpers


def cspr_case_body(title: str, subject: str) -> dict[str, Any]:
    """The body of a CSPR case opened over HTTP, aware today (no deadline has passed), the three agencies involved."""
    from service.engine.functions import today

    return {
        "case_type": "cspr",
        "title": title,
        "subject_pseudonym": subject,
        "involved_agencies": list(AGENCIES),
        "data": {"aware_at": today(), **START_DATA_BASE},
    }


def log(message: str = "") -> None:
    print(message, flush=True)


def percentile(samples: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(samples_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_ms),
        "min": min(samples_ms),
        "p50": percentile(samples_ms, 50),
        "p90": percentile(samples_ms, 90),
        "p99": percentile(samples_ms, 99),
        "max": max(samples_ms),
        "mean": statistics.fmean(samples_ms),
    }


def fmt_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class Progress:
    """One status line on stderr, rewritten in place (a plain line every ~10% when stderr is not a tty)."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = total
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last_draw = 0.0
        self.last_decile = -1

    def update(self, done: int, extra: str = "") -> None:
        now = time.perf_counter()
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        line = (
            f"{self.label}: {done:,}/{self.total:,} ({100.0 * done / max(self.total, 1):5.1f}%)  "
            f"{rate:,.1f}/s  elapsed {fmt_duration(elapsed)}  ETA {fmt_duration(eta)}{extra}"
        )
        if self.tty:
            if now - self.last_draw >= 0.25 or done >= self.total:
                sys.stderr.write("\r\x1b[2K" + line)
                sys.stderr.flush()
                self.last_draw = now
        else:
            decile = (10 * done) // max(self.total, 1)
            if decile != self.last_decile:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()
                self.last_decile = decile

    def finish(self) -> float:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()
        return time.perf_counter() - self.started


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)

"""The background worker loop: `lif worker`, or a thread inside `lif serve`.

Each pass fires due timers, sends due webhook deliveries and e-mails, makes queued reports, and (every few
seconds) looks for tasks that became due soon or overdue, chases open agency tasks and records the day's
digests; once a day (the first
pass of each day, Europe/London) it disposes of what has reached the end of its retention. Every piece commits
on its own, so one failure never blocks the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from service.config import get_settings
from service.dataprotection.runs import today
from service.db.session import unit_of_work
from service.jobs.disposal import dispose_all
from service.jobs.timers import fire_due_timers
from service.notifications import schedule as notification_schedule
from service.notifications.sending import send_due
from service.reports.jobs import run_due as run_report_jobs
from service.tasks import deadlines
from service.webhooks.delivery import deliver_due

log = logging.getLogger(__name__)
DEADLINE_SCAN_SECONDS = 5.0


def run(
    stop: threading.Event,
    *,
    url: str | None = None,
    poll_seconds: float | None = None,
    evidence_dir: Path | None = None,
) -> None:
    """Work until ``stop`` is set. A failed pass is logged and retried, never fatal."""
    interval = poll_seconds or get_settings().worker_poll_seconds
    log.info("worker started (polling every %.2fs)", interval)
    last_scan = 0.0
    last_disposal: dt.date | None = None  # per worker: another worker's run the same day finds nothing left
    while not stop.is_set():
        if last_disposal != (day := today()):
            last_disposal = day
            try:
                dispose_all(as_of=day, url=url, evidence_dir=evidence_dir)
            except Exception:
                log.exception("daily disposal failed; retrying tomorrow")
        busy = False
        jobs: list[tuple[str, Callable[[], int]]] = [
            ("timers", lambda: fire_due_timers(url=url)),
            ("webhooks", lambda: deliver_due(url=url)),
            ("mail", lambda: send_due(url=url)),
            ("reports", lambda: run_report_jobs(url=url)),
        ]
        for name, job in jobs:
            try:
                done = job()
                busy = busy or done > 0
                if done:
                    log.info("%s: %d done", name, done)
            except Exception:
                log.exception("worker %s pass failed; retrying", name)
        if time.monotonic() - last_scan >= DEADLINE_SCAN_SECONDS:
            last_scan = time.monotonic()
            try:
                with unit_of_work(write=True, url=url) as session:
                    deadlines.scan(session)
                notification_schedule.scan(url=url)
            except Exception:
                log.exception("deadline scan failed; retrying")
        if not busy:
            stop.wait(interval)
    log.info("worker stopped")


def start_in_thread(
    *, url: str | None = None, evidence_dir: Path | None = None
) -> tuple[threading.Thread, threading.Event]:
    """Run the worker beside the API in a daemon thread."""
    stop = threading.Event()
    kwargs = {"url": url, "evidence_dir": evidence_dir}
    thread = threading.Thread(target=run, args=(stop,), kwargs=kwargs, name="lif-worker", daemon=True)
    thread.start()
    return thread, stop

"""The background worker loop: `lif worker`, or a thread inside `lif serve`."""

from __future__ import annotations

import logging
import threading

from service.config import get_settings
from service.jobs.timers import fire_due_timers

log = logging.getLogger(__name__)


def run(stop: threading.Event, *, url: str | None = None, poll_seconds: float | None = None) -> None:
    """Poll for due timers until ``stop`` is set. A failed pass is logged and retried, never fatal."""
    interval = poll_seconds or get_settings().worker_poll_seconds
    log.info("worker started (polling every %.2fs)", interval)
    while not stop.is_set():
        try:
            fired = fire_due_timers(url=url)
            if fired:
                log.info("fired %d timer(s)", fired)
                continue  # there may be more due right now
        except Exception:
            log.exception("worker pass failed; retrying")
        stop.wait(interval)
    log.info("worker stopped")


def start_in_thread(*, url: str | None = None) -> tuple[threading.Thread, threading.Event]:
    """Run the worker beside the API in a daemon thread."""
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(stop,), kwargs={"url": url}, name="lif-worker", daemon=True)
    thread.start()
    return thread, stop

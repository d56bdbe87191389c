"""Disposal for every partnership: the worker's daily run and `lif dispose`.

Each partnership is disposed in its own transaction, so one failure never blocks the others. Several workers
may run this at once: a run locks its partnership's row first (PostgreSQL; SQLite writers are exclusive anyway)
and then finds nothing left to do, so nothing is disposed or logged twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from sqlmodel import col, select

from service.actions.evidence_store import EvidenceStore
from service.config import get_settings
from service.dataprotection.retention import due_for_disposal
from service.dataprotection.runs import count_by_class, run_for
from service.db.session import unit_of_work
from service.models import Partnership

log = logging.getLogger(__name__)
Progress = Callable[[str, dict[str, int]], None]


def dispose_all(
    *,
    as_of: dt.date,
    url: str | None = None,
    evidence_dir: Path | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Dispose of (or with ``dry_run`` only count) what is due on ``as_of`` everywhere; counts per record class.

    ``progress`` hears each partnership's key and counts as it finishes.
    """
    settings = get_settings()
    store = EvidenceStore(evidence_dir or settings.evidence_dir, max_bytes=settings.evidence_max_bytes)
    with unit_of_work(write=False, url=url) as session:
        partnerships = session.exec(select(Partnership.id, Partnership.key).order_by(col(Partnership.key))).all()
    totals: dict[str, int] = {}
    for partnership_id, key in partnerships:
        try:
            with unit_of_work(write=not dry_run, url=url) as session:
                if dry_run:
                    items = due_for_disposal(session, partnership_id=partnership_id, as_of=as_of)
                else:
                    items = run_for(session, partnership_id=partnership_id, as_of=as_of, store=store, actor=None).items
        except Exception:
            log.exception("disposal for partnership %s failed; it is retried on the next run", key)
            continue
        counts = count_by_class(items)
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
        if progress is not None:
            progress(key, counts)
        if items and not dry_run:
            log.info("disposal for %s as of %s: %s", key, as_of.isoformat(), counts)
    return totals

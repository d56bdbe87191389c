"""Partnership reports made by the worker, with a status and progress, for years too big for one request.

``POST /partnership/reports/{kind}/jobs`` queues one; the worker makes it as the person who asked (their
need-to-know at the time it runs), reporting its stage and percentage; the file is then fetched once done.
Made from personal data, it is kept for ``KEPT_FOR`` and then cleared; ask again for a fresh copy.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import update
from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.actions.access import require_manager
from service.config import get_settings
from service.db.session import unit_of_work
from service.db.types import utcnow
from service.errors import Conflict, DomainError, NotFound
from service.identity.tokens import person_principal
from service.models import ReportJob
from service.reports.service import MEDIA_TYPES, Format, PartnershipReport, partnership_report

log = logging.getLogger(__name__)
KEPT_FOR = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(minutes=10)  # a running job not finished by then (its worker died) is taken up again
MAX_ATTEMPTS = 3


def queue(session: Session, principal: Principal, kind: PartnershipReport, year: int | None, fmt: Format) -> ReportJob:
    """Queue a report; who may ask is checked now, what they may see when it is made."""
    require_manager(principal, f"the {kind.value.replace('-', ' ')}")
    job = ReportJob(
        partnership_id=principal.partnership_id,
        requested_by_id=principal.user_id,
        kind=kind.value,
        year=year,
        format=fmt.value,
    )
    session.add(job)
    session.flush()
    return job


def get(session: Session, principal: Principal, job_id: uuid.UUID) -> ReportJob:
    """A job of the caller's own (anyone else's answers 404, as one that does not exist)."""
    job = session.get(ReportJob, job_id)
    if job is None or job.partnership_id != principal.partnership_id or job.requested_by_id != principal.user_id:
        raise NotFound(f"there is no report job {job_id}")
    return job


def content(session: Session, principal: Principal, job_id: uuid.UUID) -> ReportJob:
    """A finished job with its file (409 while it is still being made, or once it has failed or expired)."""
    job = get(session, principal, job_id)
    if job.status != "done" or job.content is None:
        state = "was cleared after a day; ask for it again" if job.status == "done" else f"is {job.status}"
        raise Conflict(f"the report {state}; its status is at /api/v1/report-jobs/{job.id}")
    return job


def run_due(*, url: str | None = None) -> int:
    """Make every queued report (one at a time) and clear expired files; returns how many were made or failed."""
    if not _pending(url):  # the worker asks every pass: a read, not a write lock, when there is nothing to do
        return 0
    done = 0
    while (job_id := _claim(url)) is not None:
        _make(job_id, url)
        done += 1
    now = utcnow()
    with unit_of_work(write=True, url=url) as session:
        session.execute(
            update(ReportJob)
            .where(col(ReportJob.finished_at) < now - KEPT_FOR, col(ReportJob.content).is_not(None))
            .values(content=None)
        )
        session.execute(  # taken up MAX_ATTEMPTS times and never finished: its worker died each time
            update(ReportJob)
            .where(
                col(ReportJob.status) == "running",
                col(ReportJob.started_at) < now - STALE_AFTER,
                col(ReportJob.attempts) >= MAX_ATTEMPTS,
            )
            .values(status="failed", stage="failed", error="the report could not be made; ask again", finished_at=now)
        )
    return done


def _pending(url: str | None) -> bool:
    now = utcnow()
    with unit_of_work(write=False, url=url) as session:
        return (
            session.exec(
                select(ReportJob.id)
                .where(
                    (col(ReportJob.status) == "queued")
                    | ((col(ReportJob.status) == "running") & (col(ReportJob.started_at) < now - STALE_AFTER))
                    | ((col(ReportJob.finished_at) < now - KEPT_FOR) & col(ReportJob.content).is_not(None))
                )
                .limit(1)
            ).first()
            is not None
        )


def _claim(url: str | None) -> uuid.UUID | None:
    now = utcnow()
    with unit_of_work(write=True, url=url) as session:
        job = session.exec(
            select(ReportJob)
            .where(
                (col(ReportJob.status) == "queued")
                | ((col(ReportJob.status) == "running") & (col(ReportJob.started_at) < now - STALE_AFTER)),
                col(ReportJob.attempts) < MAX_ATTEMPTS,
            )
            .order_by(col(ReportJob.created_at))
            .with_for_update(skip_locked=True)
        ).first()
        if job is None:
            return None
        job.status, job.stage, job.progress = "running", "reading the record", 10
        job.started_at, job.attempts = now, job.attempts + 1
        session.add(job)
        return job.id


def _progress(url: str | None, job_id: uuid.UUID, stage: str, percent: int) -> None:
    with unit_of_work(write=True, url=url) as session:
        session.execute(update(ReportJob).where(col(ReportJob.id) == job_id).values(stage=stage, progress=percent))


def _make(job_id: uuid.UUID, url: str | None) -> None:
    try:
        # Made in a read transaction, as for a request: a long generation never holds SQLite's write lock.
        with unit_of_work(write=False, url=url) as session:
            job = session.get(ReportJob, job_id)
            assert job is not None
            principal = person_principal(session, job.requested_by_id)
            kind, year, fmt = PartnershipReport(job.kind), job.year, Format(job.format)
            _progress(url, job_id, f"assembling the {kind.value.replace('-', ' ')} and drawing it as {fmt.value}", 40)
            rendered = partnership_report(
                session, principal, kind, year, fmt, database_url=url or get_settings().database_url
            )
        body = rendered.body
        with unit_of_work(write=True, url=url) as session:
            session.execute(
                update(ReportJob)
                .where(col(ReportJob.id) == job_id)
                .values(
                    status="done",
                    stage="done",
                    progress=100,
                    content=body,
                    filename=rendered.filename,
                    media_type=MEDIA_TYPES[fmt],
                    finished_at=utcnow(),
                )
            )
    except DomainError as exc:  # refused as the requester (their roles or need-to-know changed): say why
        _fail(url, job_id, exc.detail)
    except Exception:
        log.exception("report job %s failed", job_id)
        _fail(url, job_id, "the report could not be made; ask again, or quote this job's id if it fails again")


def _fail(url: str | None, job_id: uuid.UUID, reason: str) -> None:
    with unit_of_work(write=True, url=url) as session:
        session.execute(
            update(ReportJob)
            .where(col(ReportJob.id) == job_id)
            .values(status="failed", stage="failed", error=reason[:1000], finished_at=utcnow())
        )

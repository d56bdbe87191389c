"""A partnership report made by the worker: queued, running with its stage and percentage, then fetched."""

from __future__ import annotations

import io
import uuid

from pypdf import PdfReader
from sqlmodel import select

from service.db.session import unit_of_work
from service.models import ReportJob, User
from service.reports.jobs import run_due
from tests.conftest import Api
from tests.helpers import open_review


def test_a_yearly_report_is_made_in_the_background_and_fetched_once_done(api: Api, db_url: str) -> None:
    open_review(api, "sar", referral_date="2026-05-04")
    manager = api.as_("business_manager")
    queued = manager.post("/api/v1/partnership/reports/yearly-report/jobs", json={"format": "pdf"})
    assert queued.status_code == 202, queued.text[:300]
    job = queued.json()
    assert queued.headers["location"] == f"/api/v1/report-jobs/{job['id']}"
    assert (job["status"], job["progress"], job["content_url"]) == ("queued", 0, None)
    early = manager.get(f"/api/v1/report-jobs/{job['id']}/content")
    assert early.status_code == 409 and "queued" in early.json()["detail"]

    assert run_due(url=db_url) == 1  # what the worker does on its next pass

    status = manager.get(queued.headers["location"]).json()
    assert (status["status"], status["stage"], status["progress"]) == ("done", "done", 100)
    fetched = manager.get(status["content_url"])
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(fetched.content))
    assert len(reader.pages) >= 1 and "Yearly safeguarding partnership report" in reader.pages[0].extract_text()
    # Only the person who asked sees the job; anyone else (here: the chair, in the same partnership) gets 404.
    assert api.as_("partnership_chair").get(queued.headers["location"]).status_code == 404
    assert api.as_("other").get(queued.headers["location"]).status_code == 404
    assert run_due(url=db_url) == 0  # nothing left to do


def test_who_may_ask_is_checked_at_once_and_what_they_may_see_when_it_runs(api: Api, db_url: str) -> None:
    refused = api.as_("independent_reviewer").post("/api/v1/partnership/reports/yearly-report/jobs", json={})
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    unknown = api.as_("business_manager").post("/api/v1/partnership/reports/nonsense/jobs", json={})
    assert unknown.status_code == 422
    job = api.as_("business_manager").post("/api/v1/partnership/reports/composite-action-plan/jobs", json={}).json()
    with unit_of_work(url=db_url) as session:  # the manager leaves before the worker gets to it
        row = session.get(ReportJob, uuid.UUID(job["id"]))
        assert row is not None
        user = session.exec(select(User).where(User.id == row.requested_by_id)).one()
        user.active = False
        session.add(user)
    assert run_due(url=db_url) == 1
    with unit_of_work(write=False, url=db_url) as session:
        row = session.get(ReportJob, uuid.UUID(job["id"]))
        assert row is not None and row.status == "failed" and row.content is None
        assert "no longer an active user" in (row.error or "")

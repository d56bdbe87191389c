"""Helpers for driving lifecycles over HTTP the way a front end would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import event
from sqlmodel import select

from service.db.engine import get_engine
from service.db.session import unit_of_work
from service.demo import DEMO_KEY
from service.identity import directory
from service.identity.tokens import create_token
from service.models import Partnership
from tests.conftest import Api, unique

# Which demo token does each lane's work (agency tasks use the agency's own lead).
ROLE_TOKEN = {
    "business_manager": "business_manager",
    "case_review_group_member": "case_review_group_member",
    "independent_reviewer": "independent_reviewer",
    "partnership_chair": "partnership_chair",
}


def open_case(api: Api, *, aware_at: str, agencies: list[str] | None = None, title: str = "Review") -> dict[str, Any]:
    """Open a CSPR case as the business manager."""
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "case_type": "cspr",
            "title": title,
            "subject_pseudonym": "Child K",
            "involved_agencies": agencies if agencies is not None else ["police", "health", "la"],
            "data": {"aware_at": aware_at, "incident_type": "serious_harm"},
            "members": api.review_team(),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def open_tasks(api: Api, case_id: str, element_id: str | None = None) -> list[dict[str, Any]]:
    """Open tasks of a case (optionally of one BPMN element), as the business manager sees them."""
    response = api.as_("business_manager").get(
        "/api/v1/tasks", params={"case_id": case_id, "state": "open", "scope": "all"}
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return [t for t in items if element_id is None or t["element_id"] == element_id]


def complete(
    api: Api,
    case_id: str,
    element_id: str,
    answers: dict[str, Any],
    *,
    agency: str | None = None,
    as_: str | None = None,
) -> None:
    """Complete the one open task of ``element_id`` (for ``agency``), checking answers against its schema.

    The demo user of the task's role does it, unless ``as_`` names another token.
    """
    candidates = [t for t in open_tasks(api, case_id, element_id) if agency is None or t["agency"] == agency]
    assert len(candidates) == 1, f"expected one open {element_id} ({agency}), got {candidates}"
    task = candidates[0]
    token = as_ or (f"agency_safeguarding_lead:{task['agency']}" if task["agency"] else ROLE_TOKEN[task["role"]])
    client = api.as_(token)
    detail = client.get(f"/api/v1/tasks/{task['id']}")
    assert detail.status_code == 200, detail.text
    schema = detail.json()["form_schema"]
    # A front end builds the form from the schema; our answers must satisfy it exactly.
    missing = set(schema["required"]) - set(answers)
    assert not missing, f"{element_id}: answers lack required fields {missing}"
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(answers)
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": answers},
        headers={"If-Match": detail.headers["etag"]},
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"


def get_case(api: Api, case_id: str) -> dict[str, Any]:
    """Read a case as the business manager."""
    response = api.as_("business_manager").get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def clock(case: dict[str, Any], key: str) -> dict[str, Any]:
    """One clock of a case by key."""
    return next(c for c in case["clocks"] if c["key"] == key)


def run_rapid_review(
    api: Api,
    case_id: str,
    *,
    decision: str,
    notified_at: str,
    decided_at: str,
    agencies: tuple[str, ...] = ("police", "health", "la"),
) -> None:
    """Notification, every agency's information, the meeting's decision, the copy to the Panel and its reply."""
    complete(api, case_id, "Task_NotifyPanel", {"notified_at": notified_at, "child_looked_after": False})
    for agency in agencies:
        complete(
            api,
            case_id,
            "Task_ProvideRapidReviewInformation",
            {"agency_involvement": f"{agency} saw the family twice", "chronology_summary": "see chronology"},
            agency=agency,
        )
    complete(
        api,
        case_id,
        "Task_HoldRapidReviewMeeting",
        {
            "meeting_date": decided_at,
            "decision": decision,
            "decision_at": decided_at,
            "decision_rationale": "two agencies involved; learning about information sharing",
        },
    )
    complete(api, case_id, "Task_SendRapidReviewToPanel", {"sent_to_panel_at": decided_at})
    complete(api, case_id, "Task_RecordPanelResponse", {"panel_response": "agrees", "panel_response_at": decided_at})


def open_review(
    api: Api,
    case_type: str,
    *,
    referral_date: str,
    agencies: list[str] | None = None,
    data: dict[str, Any] | None = None,
    subject: str = "Adult A",
    title: str = "Review",
) -> dict[str, Any]:
    """Open a review case of ``case_type`` with the standard referral start form (docs/lifecycles/conventions.md)."""
    start = {"referral_date": referral_date, "referral_source": "agency_referral", "referral_summary": "pseudonymised"}
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "case_type": case_type,
            "title": title,
            "subject_pseudonym": subject,
            "involved_agencies": agencies if agencies is not None else ["police", "health", "la"],
            "data": {**start, **(data or {})},
            "members": api.review_team(),
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def deliver(api: Api, case_id: str, name: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """Deliver a BPMN message to a case's process, as the business manager."""
    response = api.as_("business_manager").post(
        f"/api/v1/cases/{case_id}/messages", json={"name": name, "payload": payload or {}}
    )
    assert response.status_code == 202, response.text
    return response.json()  # type: ignore[no-any-return]


def ended_at(api: Api, case_id: str) -> list[str]:
    """The end events a closed case's process reached (asserting the case is closed)."""
    case = get_case(api, case_id)
    assert case["status"] == "closed", case
    instance = api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}")
    assert instance.status_code == 200, instance.text
    return [e for e in instance.json()["completed_element_ids"] if e.startswith("EndEvent_")]


def add_person(api: Api, db_url: str, *roles: str) -> str:
    """Another person in the demo partnership holding ``roles``; returns their key in ``api.tokens``."""
    with unit_of_work(url=db_url) as session:
        partnership = session.exec(select(Partnership).where(Partnership.key == DEMO_KEY)).one()
        user = directory.add_user(
            session,
            partnership_id=partnership.id,
            name=f"Holder of {' and '.join(roles)}",
            email=f"{unique()}@northshire.example",
            roles=list(roles),
        )
        key = f"person:{user.id}"
        api.tokens[key] = create_token(session, user_id=user.id, name="test")
    return key


Step = tuple[str, dict[str, Any]]


def second_person_check(
    api: Api,
    db_url: str,
    case_id: str,
    prepare: Step,
    check: Step,
    *,
    roles: tuple[str, ...] = ("business_manager", "partnership_chair"),
) -> str:
    """Four eyes: a person holding ``roles`` does ``prepare``, is not offered ``check`` and is refused it (403).

    Another person holding the same roles is offered it; the check's demo user does it. ``prepare`` and ``check``
    are (element id, answers). Returns the preparer's token key.
    """
    preparer = add_person(api, db_url, *roles)
    other = add_person(api, db_url, *roles)
    complete(api, case_id, *prepare, as_=preparer)
    (task,) = open_tasks(api, case_id, check[0])
    own = api.as_(preparer)
    assert own.get(f"/api/v1/tasks/{task['id']}").json()["checks_work_of"] == prepare[0]
    for scope in (None, "work", "claimable"):
        assert task["id"] not in listed_ids(api, preparer, case_id, scope), scope
        assert task["id"] in listed_ids(api, other, case_id, scope), scope
    # A case manager's scope=all still shows every task of the case, this one included.
    assert task["id"] in listed_ids(api, preparer, case_id, "all")
    for action, body in (("claim", None), ("complete", {"data": check[1]})):
        refused = own.post(f"/api/v1/tasks/{task['id']}/{action}", json=body)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "second-person check" in refused.json()["detail"] and "which you completed" in refused.json()["detail"]
    complete(api, case_id, *check)  # the demo user of the check's role: another person
    return preparer


def listed_ids(api: Api, who: str, case_id: str, scope: str | None, *, limit: int = 1) -> list[str]:
    """The ids ``GET /tasks`` lists for ``who`` on one case in ``scope``, walking every page (one task a page)."""
    params: dict[str, Any] = {"case_id": case_id, "limit": limit} | ({"scope": scope} if scope else {})
    ids: list[str] = []
    while True:
        response = api.as_(who).get("/api/v1/tasks", params=params)
        assert response.status_code == 200, response.text
        ids += [t["id"] for t in response.json()["items"]]
        if not response.json()["next_cursor"]:
            assert len(ids) == len(set(ids)), ids  # paging neither repeats nor skips
            return ids
        params["cursor"] = response.json()["next_cursor"]


def markdown_blocks(text: str, language: str | None = None) -> list[str]:
    """The fenced code blocks of a Markdown text (only those tagged ``language`` when given), in order."""
    blocks: list[str] = []
    current: list[str] | None = None
    tag = ""
    for line in text.splitlines():
        if current is None and line.startswith("```"):
            current, tag = [], line[3:].strip()
        elif current is not None and line.startswith("```"):
            if language is None or tag == language:
                blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    return blocks


@contextmanager
def sql_statements(db_url: str) -> Iterator[list[str]]:
    """Every SQL statement sent to the test's database inside the block (as bench/statements.py counts them)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = get_engine(db_url)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def subscription_reads(statements: list[str]) -> list[str]:
    """The statements among ``statements`` that read webhook subscriptions."""
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and "webhook_subscription" in s]

"""GET /tasks is each person's work by default: what is assigned to them and what they may claim, nothing else."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.db.session import unit_of_work
from service.engine.functions import add_days, today
from service.identity.tokens import authenticate
from service.tasks.service import list_tasks
from service.tasks.worklist import TaskFilters
from tests.conftest import Api
from tests.helpers import complete, open_case, open_tasks, run_rapid_review, sql_statements

TASKS = "/api/v1/tasks"


def _walk(client: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of a task list, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = client.get(TASKS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def _work_of(me: dict[str, Any], task: dict[str, Any]) -> bool:
    """Assigned to me, or open, unclaimed, for a role I hold and my agency (or none): claim() would accept it."""
    if task["assignee_id"] == me["user_id"]:
        return True
    return (
        task["state"] == "open"
        and task["assignee_id"] is None
        and (task["role"] is None or task["role"] in me["roles"])
        and (task["agency"] is None or task["agency"] == me["agency"])
    )


def _busy_partnership(api: Api) -> None:
    """Work for every lane: a CSPR at the independent reviewer's step, another just opened, one task claimed."""
    now = today()
    reviewed = open_case(api, aware_at=now, title="Worklist review")["id"]
    run_rapid_review(api, reviewed, decision="local_cspr", notified_at=now, decided_at=now)
    complete(
        api,
        reviewed,
        "Task_ScopeReview",
        {"review_period_from": "2025-01-01", "review_period_to": now, "scope_summary": "s"},
    )
    complete(api, reviewed, "Task_AgreeTermsOfReference", {"terms_of_reference": "t", "methodology": "scie_systems"})
    complete(
        api, reviewed, "Task_AppointIndependentReviewer", {"reviewer_name": "A", "reviewer_declaration_signed": True}
    )
    fresh = open_case(api, aware_at=now, title="Worklist fresh")["id"]
    (notify,) = open_tasks(api, fresh, "Task_NotifyPanel")
    claimed = api.as_("business_manager").post(f"{TASKS}/{notify['id']}/claim")
    assert claimed.status_code == 200, claimed.text


def test_each_demo_role_lists_only_its_own_work_by_default(api: Api) -> None:
    _busy_partnership(api)
    everything = _walk(api.as_("business_manager"), scope="all", limit=200)  # an oversight role: sees every case
    roles_with_work = set()
    for role in (r for r in api.tokens if r != "other"):
        client = api.as_(role)
        me = client.get("/api/v1/me").json()
        listed = _walk(client, limit=200)
        for task in listed:
            assert _work_of(me, task), (role, task["name"], task["role"], task["agency"], task["assignee_id"])
        # Complete too: every task of theirs that they may see is in the list.
        ids = {t["id"] for t in listed}
        for task in everything:
            if _work_of(me, task) and task["id"] not in ids:
                assert client.get(f"{TASKS}/{task['id']}").status_code == 404, (role, task["name"])
        roles_with_work |= {role} if listed else set()
    reviewer = _walk(api.as_("independent_reviewer"), limit=200)
    assert reviewer and {t["role"] for t in reviewer} == {"independent_reviewer"}
    assert not any(t["role"] == "business_manager" for t in reviewer)
    assert {"business_manager", "case_review_group_member", "agency_safeguarding_lead:police"} <= roles_with_work
    # The claimed task is the business manager's own, and no longer anyone else's to claim.
    bm = _walk(api.as_("business_manager"), scope="mine", limit=200)
    assert [t["name"] for t in bm if t["state"] == "open"] and all(t["assignee_id"] for t in bm)
    other_bm = _walk(api.as_("business_manager:sam.patel"), scope="claimable", limit=200)
    assert not {t["id"] for t in bm} & {t["id"] for t in other_bm}
    assert all(t["state"] == "open" and t["assignee_id"] is None for t in other_bm)


def test_scope_all_is_for_those_who_manage_cases_and_unknown_scopes_are_refused(api: Api) -> None:
    _busy_partnership(api)
    for role in ("independent_reviewer", "process_owner", "data_protection_officer"):
        refused = api.as_(role).get(TASKS, params={"scope": "all"})
        assert refused.status_code == 403, (role, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "leave scope out" in refused.json()["detail"]
    bm = api.as_("business_manager")
    wide = {t["id"] for t in _walk(bm, scope="all", limit=200)}
    own = {t["id"] for t in _walk(bm, limit=200)}
    assert own < wide  # the old list still answers, and is wider than the business manager's own work
    lead = _walk(api.as_("agency_safeguarding_lead:police"), scope="all", limit=200)
    assert lead and {t["agency"] for t in lead} == {"police"}  # need-to-know still bounds it
    wrong = bm.get(TASKS, params={"scope": "everything"})
    assert wrong.status_code == 422 and "claimable" in wrong.text


def test_filters_narrow_the_scope(api: Api) -> None:
    _busy_partnership(api)
    lead = api.as_("agency_safeguarding_lead:police")
    work = _walk(lead, limit=200)
    assert work
    assert _walk(lead, role="business_manager", limit=200) == []  # not theirs, even when asked for by role
    assert _walk(lead, agency="health", scope="all", limit=200) == []
    assert _walk(lead, state="completed", scope="claimable", limit=200) == []
    one_case = work[0]["case_id"]
    assert {t["case_id"] for t in _walk(lead, case_id=one_case, limit=200)} == {one_case}


def test_the_list_is_soonest_due_first_undated_last_and_the_cursor_follows_that_order(api: Api) -> None:
    old = add_days(today(), -30)
    open_case(api, aware_at=old, title="Overdue")  # its first task was due weeks ago
    _busy_partnership(api)
    bm = api.as_("business_manager")
    whole = _walk(bm, scope="all", limit=200)
    paged = _walk(bm, scope="all", limit=3)
    assert [t["id"] for t in paged] == [t["id"] for t in whole] and len(whole) > 6
    keys = [(t["due_at"] is None, t["due_at"] or "", t["created_at"], t["id"]) for t in whole]
    assert keys == sorted(keys)
    assert whole[0]["due_at"] is not None and any(t["due_at"] is None for t in whole)
    # "My work" is paged as two parts (assigned, claimable) merged: small pages still walk it in the one order.
    me = api.user_id("business_manager")
    work = _walk(bm, limit=200)
    assert any(t["assignee_id"] == me for t in work) and any(t["assignee_id"] is None for t in work)
    for limit in (1, 2, 3):
        assert [t["id"] for t in _walk(bm, limit=limit)] == [t["id"] for t in work]
    work_keys = [(t["due_at"] is None, t["due_at"] or "", t["created_at"], t["id"]) for t in work]
    assert work_keys == sorted(work_keys)


def test_overdue_and_agency_task_filters(api: Api) -> None:
    open_case(api, aware_at=add_days(today(), -30), title="Overdue")
    bm = api.as_("business_manager")
    late = _walk(bm, scope="all", overdue="true", limit=200)
    assert late and all(t["state"] == "open" and t["due_at"] < today() for t in late)
    rest = _walk(bm, scope="all", overdue="false", limit=200)
    assert not {t["id"] for t in late} & {t["id"] for t in rest}
    assert len(late) + len(rest) == len(_walk(bm, scope="all", limit=200))
    assert all(t["agency"] for t in _walk(bm, scope="all", agency_task="true", limit=200))
    assert all(t["agency"] is None for t in _walk(bm, scope="all", agency_task="false", limit=200))


def test_a_machine_token_still_lists_its_agency_tasks(api: Api) -> None:
    case = open_case(api, aware_at=today())
    complete(api, case["id"], "Task_NotifyPanel", {"notified_at": today(), "child_looked_after": False})
    issued = api.as_("partnership_admin").post("/api/v1/agencies/police/machine-tokens", json={"name": "EPR"})
    api.tokens["machine:police"] = issued.json()["token"]
    machine = api.as_("machine:police")
    listed = _walk(machine, limit=200)
    assert listed == _walk(machine, scope="all", limit=200)
    assert listed and {t["agency"] for t in listed} == {"police"}
    # A lead of the same agency claims one: the machine still lists it (its agency's tasks, as before).
    lead = api.as_("agency_safeguarding_lead:police")
    assert lead.post(f"{TASKS}/{listed[0]['id']}/claim").status_code == 200
    assert listed[0]["id"] in {t["id"] for t in _walk(machine, limit=200)}


@pytest.mark.parametrize("scope", [None, "all"])
def test_a_list_neither_reads_nor_offers_the_answers(api: Api, db_url: str, scope: str | None) -> None:
    # "My work" is a union of two parts, scope=all one query: in both the answers stay in the database.
    _busy_partnership(api)
    with unit_of_work(write=False, url=db_url) as session:
        principal = authenticate(session, api.tokens["business_manager"])
        with sql_statements(db_url) as sent:
            page = list_tasks(session, principal, TaskFilters(), scope=scope, cursor=None, limit=50)  # type: ignore[arg-type]
        assert page.items and sent
        assert not [sql for sql in sent if re.search(r"\bdata\b", sql)], sent
        with pytest.raises(AttributeError, match="data"):
            _ = page.items[0].data

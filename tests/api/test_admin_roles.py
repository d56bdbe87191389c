"""Walk the roles: every administration endpoint works for the right role and for NO other, and `GET /me`'s
`can` list says exactly that."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import Api, unique
from tests.helpers import add_person

V1 = "/api/v1"

# (capability that allows it, method, path, body); {user} is a user of the partnership, fresh each call.
Probe = tuple[str, str, str, Callable[[], dict[str, Any] | None]]
PROBES: list[Probe] = [
    ("agencies.manage", "POST", "/agencies", lambda: {"code": f"a{unique()}", "name": "A", "kind": "other"}),
    ("agencies.manage", "PATCH", "/agencies/education", lambda: {"name": f"Education {unique()}"}),
    (
        "users.manage",
        "POST",
        "/users",
        lambda: {"name": "U", "email": f"{unique()}@northshire.example", "roles": ["case_review_group_member"]},
    ),
    ("users.manage", "PATCH", "/users/{user}", lambda: {"name": f"Renamed {unique()}"}),
    ("tokens.manage", "POST", "/users/{user}/tokens", lambda: {"name": "for someone else"}),
    ("machine_tokens.issue", "POST", "/agencies/police/machine-tokens", lambda: {"name": "system"}),
    ("partnerships.manage", "GET", "/partnerships", lambda: None),
    (
        "partnerships.manage",
        "POST",
        "/partnerships",
        lambda: {"key": f"p{unique()}", "name": "P", "kind": "children"},
    ),
    ("partnerships.manage", "PATCH", "/partnerships/elsewhere", lambda: {"name": f"Elsewhere {unique()}"}),
    ("partnership_settings.manage", "PATCH", "/partnership/settings", lambda: {"action_recheck_months": [6, 12]}),
    ("webhooks.manage", "GET", "/webhooks/subscriptions", lambda: None),
    ("audit_events.read", "GET", "/audit-events", lambda: None),
    ("data_protection.manage", "GET", "/access-events", lambda: None),
    ("tasks.list_all", "GET", "/tasks?scope=all", lambda: None),
    ("dashboards.partnership", "GET", "/partnership/dashboard", lambda: None),
]


def _roles(api: Api, db_url: str) -> list[str]:
    platform = add_person(api, db_url, "platform_admin")
    machine = api.as_("partnership_admin").post(f"{V1}/agencies/health/machine-tokens", json={"name": "EPR"})
    api.tokens["machine:health"] = machine.json()["token"]
    return [role for role in api.tokens if role != "other"] + [platform]


def test_each_admin_endpoint_answers_its_role_and_refuses_every_other(api: Api, db_url: str) -> None:
    # Someone no probe speaks as, so issuing them a token is always "for someone else".
    target = add_person(api, db_url, "case_review_group_member")
    api.tokens.pop(target)
    target = target.removeprefix("person:")
    exercised: set[str] = set()
    for role in _roles(api, db_url):
        client = api.as_(role)
        me = client.get(f"{V1}/me")
        assert me.status_code == 200, me.text
        can = set(me.json()["can"])
        for capability, method, path, body in PROBES:
            url = V1 + path.format(user=target)
            response = client.request(method, url, json=body())
            allowed = capability in can
            exercised |= {capability} if allowed else set()
            expected = {200, 201} if allowed else {403}
            assert response.status_code in expected, (role, method, path, response.status_code, response.text)
            if not allowed:
                assert response.headers["content-type"] == "application/problem+json"
    assert exercised == {probe[0] for probe in PROBES}  # some role may do each thing


def test_a_person_manages_only_their_own_tokens(api: Api) -> None:
    reviewer, member = api.as_("independent_reviewer"), api.as_("case_review_group_member")
    mine = reviewer.post(f"{V1}/users/{api.user_id('independent_reviewer')}/tokens", json={"name": "mine"})
    assert mine.status_code == 201, mine.text
    # Someone else's token does not exist for another member, whatever they try.
    assert member.delete(f"{V1}/tokens/{mine.json()['id']}").status_code == 404
    assert mine.json()["id"] not in {t["id"] for t in member.get(f"{V1}/tokens").json()["items"]}
    assert member.get(f"{V1}/tokens", params={"user_id": api.user_id("independent_reviewer")}).json()["items"] == []
    # Another partnership's admin cannot revoke it either.
    assert api.as_("other").delete(f"{V1}/tokens/{mine.json()['id']}").status_code == 404
    assert reviewer.delete(f"{V1}/tokens/{mine.json()['id']}").status_code == 200

"""Administering a partnership over the API: agencies, users, tokens, partnerships; pickers; what /me says."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.config import get_settings
from tests.conftest import Api, unique
from tests.helpers import add_person

V1 = "/api/v1"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _bearer(api: Api, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_adds_an_agency_and_a_person_issues_and_revokes_their_token(api: Api) -> None:
    admin = api.as_("partnership_admin")
    agency = _ok(
        admin.post(f"{V1}/agencies", json={"code": "housing", "name": "Northshire Homes", "kind": "housing"}), 201
    )
    assert agency["code"] == "housing"
    renamed = _ok(admin.patch(f"{V1}/agencies/housing", json={"name": "Northshire Housing"}))
    assert renamed["name"] == "Northshire Housing" and renamed["kind"] == "housing"
    email = f"{unique()}@housing.example"
    user = _ok(
        admin.post(
            f"{V1}/users",
            json={"name": "H. Lead", "email": email, "roles": ["agency_safeguarding_lead"], "agency": "housing"},
        ),
        201,
    )
    assert user["agency"] == "housing" and user["email"] == email and user["active"] is True
    issued = _ok(admin.post(f"{V1}/users/{user['id']}/tokens", json={"name": "laptop"}), 201)
    token = issued["token"]
    # A person's token without an expiry gets the longest lifetime allowed.
    expires = dt.datetime.fromisoformat(issued["expires_at"])
    longest = dt.timedelta(days=get_settings().personal_token_max_days)
    assert abs(expires - (dt.datetime.now(dt.UTC) + longest)) < dt.timedelta(minutes=1)
    me = _ok(api.client.get(f"{V1}/me", headers=_bearer(api, token)))
    assert me["agency"] == "housing" and "users.manage" not in me["can"] and "tasks.work" in me["can"]
    listed = _ok(admin.get(f"{V1}/tokens", params={"user_id": user["id"]}))["items"]
    assert [t["name"] for t in listed] == ["laptop"] and listed[0]["last_used_at"] is not None
    assert "token" not in listed[0] and listed[0]["prefix"] == token[:12]
    # Used again within the minute: last_used_at is not written again.
    _ok(api.client.post(f"{V1}/users/{user['id']}/tokens", headers=_bearer(api, token), json={"name": "own"}), 201)
    _ok(api.client.get(f"{V1}/me", headers=_bearer(api, token)))
    again = _ok(admin.get(f"{V1}/tokens", params={"user_id": user["id"]}))["items"]
    assert next(t for t in again if t["name"] == "laptop")["last_used_at"] == listed[0]["last_used_at"]
    # The holder lists and revokes their own token; the next request with it is refused.
    own = _ok(api.client.get(f"{V1}/tokens", headers=_bearer(api, token)))["items"]
    assert {t["name"] for t in own} == {"laptop", "own"}
    _ok(api.client.delete(f"{V1}/tokens/{issued['id']}", headers=_bearer(api, token)))
    assert api.client.get(f"{V1}/me", headers=_bearer(api, token)).status_code == 401
    # Roles and agency change; deactivation refuses every token of the user.
    second = _ok(admin.post(f"{V1}/users/{user['id']}/tokens", json={"name": "phone"}), 201)["token"]
    changed = _ok(admin.patch(f"{V1}/users/{user['id']}", json={"roles": ["business_manager"], "agency": None}))
    assert changed["roles"] == ["business_manager"] and changed["agency"] is None
    assert _ok(api.client.get(f"{V1}/me", headers=_bearer(api, second)))["roles"] == ["business_manager"]
    _ok(admin.patch(f"{V1}/users/{user['id']}", json={"active": False}))
    refused = api.client.get(f"{V1}/me", headers=_bearer(api, second))
    assert refused.status_code == 401 and "deactivated" in refused.json()["detail"]
    events = _ok(admin.get(f"{V1}/audit-events", params={"limit": 50}))["items"]
    actions = {e["action"] for e in events}
    assert {
        "agency.created",
        "agency.updated",
        "user.created",
        "user.updated",
        "token.created",
        "token.revoked",
    } <= actions


def test_expiry_limits_and_role_grants_are_checked(api: Api, db_url: str) -> None:
    admin = api.as_("partnership_admin")
    user_id = api.user_id("business_manager")
    too_late = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).isoformat()
    refused = admin.post(f"{V1}/users/{user_id}/tokens", json={"name": "x", "expires_at": too_late})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "expires_at"
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    assert admin.post(f"{V1}/users/{user_id}/tokens", json={"name": "x", "expires_at": past}).status_code == 422
    naive = (dt.datetime.now() + dt.timedelta(days=1)).replace(microsecond=0).isoformat()  # no time zone
    assert admin.post(f"{V1}/users/{user_id}/tokens", json={"name": "x", "expires_at": naive}).status_code == 422
    # A partnership admin cannot make anyone a platform admin, nor lock themselves out.
    assert admin.patch(f"{V1}/users/{user_id}", json={"roles": ["platform_admin"]}).status_code == 403
    # Nor act for a platform admin of their partnership (whose reach is every partnership).
    platform = api.user_id(add_person(api, db_url, "platform_admin"))
    assert admin.patch(f"{V1}/users/{platform}", json={"active": False}).status_code == 403
    assert admin.post(f"{V1}/users/{platform}/tokens", json={"name": "me now"}).status_code == 403
    own = api.user_id("partnership_admin")
    assert admin.patch(f"{V1}/users/{own}", json={"active": False}).status_code == 409
    email = f"{unique()}@northshire.example"
    body = {"name": "Twin", "email": email, "roles": ["business_manager"]}
    _ok(admin.post(f"{V1}/users", json=body), 201)
    assert admin.post(f"{V1}/users", json=body).status_code == 409
    assert admin.post(f"{V1}/agencies", json={"code": "police", "name": "Again", "kind": "police"}).status_code == 409
    assert admin.post(f"{V1}/users", json={**body, "email": "x@y.z", "agency": "nowhere"}).status_code == 404


def test_pickers_page_filter_and_show_emails_to_admins_only(api: Api) -> None:
    member = api.as_("case_review_group_member")
    first = _ok(member.get(f"{V1}/users", params={"limit": 3}))
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = _ok(member.get(f"{V1}/users", params={"limit": 200, "cursor": first["next_cursor"]}))["items"]
    everyone = first["items"] + rest
    assert len({u["id"] for u in everyone}) == len(everyone)
    assert all(u["email"] is None and u["active"] is None for u in everyone)
    leads = _ok(member.get(f"{V1}/users", params={"role": "agency_safeguarding_lead", "agency": "health"}))["items"]
    assert [(u["roles"], u["agency"]) for u in leads] == [(["agency_safeguarding_lead"], "health")]
    assert member.get(f"{V1}/users", params={"role": "wizard"}).status_code == 422
    # A machine user is a partner system, not someone to assign: admins see it, members do not.
    machine = _ok(api.as_("partnership_admin").post(f"{V1}/agencies/health/machine-tokens", json={"name": "EPR"}), 201)
    assert machine["user_id"] not in {u["id"] for u in _ok(member.get(f"{V1}/users", params={"limit": 200}))["items"]}
    assert member.get(f"{V1}/users/{machine['user_id']}").status_code == 404
    seen = _ok(api.as_("partnership_admin").get(f"{V1}/users/{machine['user_id']}"))
    assert seen["machine"] is True and seen["email"]
    machine_tokens = _ok(api.as_("partnership_admin").get(f"{V1}/tokens", params={"machine": True}))["items"]
    assert [t["user_id"] for t in machine_tokens] == [machine["user_id"]] and machine_tokens[0]["expires_at"] is None
    agencies = _ok(member.get(f"{V1}/agencies", params={"limit": 2}))
    assert len(agencies["items"]) == 2 and agencies["next_cursor"]
    assert [a["code"] for a in _ok(member.get(f"{V1}/agencies", params={"kind": "police"}))["items"]] == ["police"]
    # Another partnership's people and agencies do not exist here.
    other = api.as_("other")
    assert {u["name"] for u in _ok(other.get(f"{V1}/users"))["items"]} == {"Other BM"}
    assert other.get(f"{V1}/users/{api.user_id('business_manager')}").status_code == 404
    assert other.patch(f"{V1}/users/{api.user_id('business_manager')}", json={"active": False}).status_code == 404


def test_a_platform_admin_onboards_a_partnership_with_its_first_admin(api: Api, db_url: str) -> None:
    platform = api.as_(add_person(api, db_url, "platform_admin"))
    body = {"key": "westshire", "name": "Westshire SAB", "kind": "adults"}
    created = _ok(
        platform.post(f"{V1}/partnerships", json={**body, "first_admin": {"name": "W", "email": "w@w.example"}}), 201
    )
    assert created["key"] == "westshire" and created["first_admin_token"]
    assert platform.post(f"{V1}/partnerships", json=body).status_code == 409
    keys = [p["key"] for p in _ok(platform.get(f"{V1}/partnerships"))["items"]]
    assert {"northshire", "elsewhere", "westshire"} <= set(keys)
    assert _ok(platform.patch(f"{V1}/partnerships/westshire", json={"kind": "joint"}))["kind"] == "joint"
    # The first admin administers the new partnership at once, and sees nothing of the others.
    first = {"Authorization": f"Bearer {created['first_admin_token']}"}
    me = _ok(api.client.get(f"{V1}/me", headers=first))
    assert me["partnership_id"] == created["id"] and "users.manage" in me["can"]
    _ok(
        api.client.post(f"{V1}/agencies", headers=first, json={"code": "police", "name": "W Police", "kind": "police"}),
        201,
    )
    assert [u["name"] for u in _ok(api.client.get(f"{V1}/users", headers=first))["items"]] == ["W"]

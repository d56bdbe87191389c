"""Need-to-know, probed the way an attacker inside the partnership would: every read endpoint of the API.

The probe walks /openapi.json, so an endpoint added later is probed too. One CSPR (with a SAR beside it for the
reports) is built up with agency submissions, a recommendation, an action with evidence and a learning item;
then an uninvolved panel member, the lead of an uninvolved agency and the lead of an involved agency read
everything. The first two must find nothing (the same answer as for an id that does not exist); the third only
its own agency's part.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from service.db.engine import get_engine
from tests.conftest import Api
from tests.helpers import complete, open_tasks

PDF = b"%PDF-1.4\n% evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SECRET_NAME = "Jayden Identifiable-Smith"
HEALTH_SECRET = "health-only-chronology-7f3a"
POLICE_ANSWER = "police-answer-2c9d"

# Who probes (token names from tests/conftest.py's demo partnership).
UNINVOLVED = ("case_review_group_member", "independent_reviewer", "agency_safeguarding_lead:education")
INVOLVED = "agency_safeguarding_lead:police"


def _post(api: Api, role: str, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = api.as_(role).post(url, json=body)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def world(api: Api) -> dict[str, Any]:
    """A CSPR involving police and health (no members but its business manager), and what hangs off it."""
    case = _post(
        api,
        "business_manager",
        "/api/v1/cases",
        {
            "case_type": "cspr",
            "title": "Walsgrove incident",
            "subject_pseudonym": "Child Q",
            "involved_agencies": ["police", "health"],
            "data": {
                "aware_at": "2026-11-02",
                "incident_type": "serious_harm",
                "subject_name": SECRET_NAME,
                "subject_date_of_birth": "2019-05-04",
            },
        },
    )
    complete(api, case["id"], "Task_NotifyPanel", {"notified_at": "2026-11-03"})
    complete(
        api,
        case["id"],
        "Task_ProvideRapidReviewInformation",
        {"agency_involvement": HEALTH_SECRET, "chronology_summary": HEALTH_SECRET},
        agency="health",
    )
    police_task = next(t for t in open_tasks(api, case["id"]) if t["agency"] == "police")
    health_task = next(
        t
        for t in api.as_("business_manager")
        .get("/api/v1/tasks", params={"case_id": case["id"], "scope": "all"})
        .json()["items"]
        if t["agency"] == "health"
    )
    recommendation = _post(
        api,
        "business_manager",
        f"/api/v1/cases/{case['id']}/recommendations",
        {"finding": "Walsgrove finding", "text": "Share", "themes": ["neglect"], "principles": []},
    )
    action = _post(
        api,
        "business_manager",
        f"/api/v1/recommendations/{recommendation['id']}/actions",
        {
            "owner_agency": "police",
            "lead_name": "DI Shaw",
            "description": "Copy referrals to health",
            "due_date": "2030-01-31",
            "impact_measure": "share copied",
            "baseline": "40%",
        },
    )
    upload = api.as_(INVOLVED).post(
        f"/api/v1/actions/{action['id']}/evidence", files={"file": ("walsgrove.pdf", PDF, "application/pdf")}
    )
    assert upload.status_code == 201, upload.text
    learning = _post(
        api,
        "business_manager",
        "/api/v1/learning-items",
        {
            "title": "Walsgrove lesson",
            "summary": "Ask who lives there",
            "kind": "lesson",
            "source_type": "review",
            "source_case_id": case["id"],
            "audience_agencies": ["health"],
        },
    )
    sar = _post(
        api,
        "business_manager",
        "/api/v1/cases",
        {
            "case_type": "sar",
            "title": "Marchfield SAR",
            "subject_pseudonym": "Adult Z",
            "involved_agencies": ["health"],
            "data": {"referral_date": "2026-10-01", "referral_source": "agency_referral", "referral_summary": "x"},
        },
    )
    return {
        "case": case,
        "sar": sar,
        "police_task": police_task,
        "health_task": health_task,
        "recommendation": recommendation,
        "action": action,
        "evidence": upload.json(),
        "learning": learning,
    }


def _markers(world: dict[str, Any]) -> dict[str, str]:
    """Strings that must never reach someone who may not see the case (found anywhere in a response)."""
    case, sar = world["case"], world["sar"]
    return {
        "case id": case["id"],
        "case reference": case["reference"],
        "case title": case["title"],
        "instance id": case["instance_id"],
        "health's submission": HEALTH_SECRET,
        "subject's name": SECRET_NAME,
        "recommendation": world["recommendation"]["finding"],
        "learning item": world["learning"]["title"],
        "evidence file": world["evidence"]["filename"],
        "SAR reference": sar["reference"],
        "SAR title": sar["title"],
    }


def _read_endpoints(api: Api) -> list[tuple[str, dict[str, Any]]]:
    spec = api.client.get("/openapi.json").json()
    return [(path, op) for path, ops in spec["paths"].items() for method, op in ops.items() if method == "get"]


def _urls(path: str, op: dict[str, Any], ids: dict[str, str], case_id: str) -> list[str]:
    """The endpoint filled with the probed objects' ids (and, for lists, also filtered to the case)."""
    url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)
    query = []
    for param in op.get("parameters", []):
        if param["in"] != "query":
            continue
        name, schema = param["name"], param.get("schema", {})
        if name in ("case_id", "source_case_id"):
            query.append(f"{name}={case_id}")
        elif param.get("required") and "date" in str(schema):
            query.append(f"{name}={'2000-01-01' if name in ('start', 'since', 'from') else '2100-12-31'}")
    return [url, f"{url}?{'&'.join(query)}"] if query else [url]


def test_every_read_endpoint_hides_the_case_from_the_uninvolved_and_shows_an_agency_only_its_part(
    api: Api, world: dict[str, Any]
) -> None:
    markers = _markers(world)
    real = {
        "case_id": world["case"]["id"],
        "instance_id": world["case"]["instance_id"],
        "task_id": world["health_task"]["id"],
        "recommendation_id": world["recommendation"]["id"],
        "action_id": world["action"]["id"],
        "evidence_id": world["evidence"]["id"],
        "item_id": world["learning"]["id"],
        "agency_code": "health",
    }
    endpoints = _read_endpoints(api)
    assert len(endpoints) > 40  # the walk really covers the API
    for agency in ("education", "police"):  # partner systems' machine tokens probe too
        issued = _post(api, "partnership_admin", f"/api/v1/agencies/{agency}/machine-tokens", {"name": "system"})
        api.tokens[f"machine:{agency}"] = issued["token"]
    probed = 0
    for role in (*UNINVOLVED, "machine:education", INVOLVED, "machine:police"):
        client = api.as_(role)
        for path, op in endpoints:
            if path.startswith("/health") or path == "/openapi.json":
                continue
            for url in _urls(path, op, real, world["case"]["id"]):
                response = client.get(url)
                probed += 1
                assert response.status_code < 500, f"{role} GET {url}: {response.text}"
                body = response.text
                for asked in re.findall(r"[0-9a-f-]{36}", url):  # a 404 may name what was asked for
                    body = body.replace(asked, "")
                leaked = [name for name, value in markers.items() if value in body]
                if role in (INVOLVED, "machine:police"):
                    # police is involved in the CSPR: it may see the case's summary, its own action and evidence,
                    # and the recommendation its action answers; never health's part, the subject or the SAR.
                    leaked = [n for n in leaked if n not in ("case id", "case reference", "case title", "instance id")]
                    leaked = [n for n in leaked if n not in ("recommendation", "evidence file")]
                assert not leaked, f"{role} GET {url} ({response.status_code}) shows {leaked}"
                params = re.findall(r"\{(\w+)\}", path)
                # An agency's dashboard refuses other agencies' leads by role (403), not by need-to-know: agencies
                # are no secret (GET /agencies lists them), and the stand-in agency is the education lead's own.
                by_role = path == "/api/v1/agencies/{agency_code}/dashboard"
                if (
                    params
                    and all(p in real for p in params)
                    and role not in (INVOLVED, "machine:police")
                    and not by_role
                ):
                    # An object one may not see answers exactly as one that does not exist.
                    fake = re.sub(
                        r"\{(\w+)\}", lambda m: "education" if m.group(1) == "agency_code" else str(uuid.uuid4()), path
                    )
                    assert response.status_code == client.get(fake).status_code, f"{role} GET {url}"
    assert probed > 150
    for role in UNINVOLVED:  # nothing of this partnership's cases reaches them: every list is empty
        for url in ("/api/v1/cases", "/api/v1/tasks", "/api/v1/actions", "/api/v1/recommendations"):
            response = api.as_(role).get(url)
            assert response.status_code == 200 and response.json()["items"] == [], (role, url)


def test_an_involved_agency_sees_its_part_only(api: Api, world: dict[str, Any]) -> None:
    lead = api.as_(INVOLVED)
    case = lead.get(f"/api/v1/cases/{world['case']['id']}").json()
    assert case["access"] == "agency" and case["record"] == {} and case["review_record"] is None
    assert [c["key"] for c in case["clocks"]]  # the clocks it works to
    tasks = lead.get("/api/v1/tasks", params={"case_id": world["case"]["id"], "scope": "all"}).json()["items"]
    assert tasks and {t["agency"] for t in tasks} == {"police"}
    assert lead.get(f"/api/v1/tasks/{world['health_task']['id']}").status_code == 404
    assert lead.get(f"/api/v1/tasks/{world['police_task']['id']}").status_code == 200
    refused = lead.get(f"/api/v1/process-instances/{world['case']['instance_id']}")
    assert refused.status_code == 403 and "member" in refused.json()["detail"]
    listed = lead.get("/api/v1/cases").json()["items"]  # the review, and the case of the action police owns
    assert {c["id"] for c in listed} == {world["case"]["id"], world["action"]["case_id"]}
    assert all("police" in c["involved_agencies"] for c in listed)
    # Completing its own task works as before.
    complete(
        api,
        world["case"]["id"],
        "Task_ProvideRapidReviewInformation",
        {"agency_involvement": POLICE_ANSWER, "chronology_summary": "attached"},
        agency="police",
    )


def test_members_are_added_and_removed_by_the_business_manager_and_audited(api: Api, world: dict[str, Any]) -> None:
    case_id = world["case"]["id"]
    crg = api.as_("case_review_group_member")
    assert crg.get(f"/api/v1/cases/{case_id}").status_code == 404
    task_url = f"/api/v1/tasks/{world['health_task']['id']}"  # one query per caller, kept: membership is read each time
    assert crg.get(task_url).status_code == 404
    crg_id = api.user_id("case_review_group_member")
    # Only whoever manages the case adds people: an agency lead cannot add itself.
    refused = api.as_(INVOLVED).post(
        f"/api/v1/cases/{case_id}/members", json={"user_id": api.user_id(INVOLVED), "case_role": "panel_member"}
    )
    assert refused.status_code == 403
    bad = api.as_("business_manager").post(
        f"/api/v1/cases/{case_id}/members", json={"user_id": str(uuid.uuid4()), "case_role": "panel_member"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "members.0.user_id"
    added = _post(
        api, "business_manager", f"/api/v1/cases/{case_id}/members", {"user_id": crg_id, "case_role": "panel_member"}
    )
    assert added["case_role"] == "panel_member" and added["name"] == "Colin Reeves"
    seen = crg.get(f"/api/v1/cases/{case_id}").json()
    assert seen["access"] == "full" and seen["record"]
    assert HEALTH_SECRET in crg.get(task_url).text
    members = {m["user_id"]: m["case_role"] for m in crg.get(f"/api/v1/cases/{case_id}/members").json()["items"]}
    assert members == {api.user_id("business_manager"): "lead", crg_id: "panel_member"}
    gone = api.as_("business_manager").delete(f"/api/v1/cases/{case_id}/members/{crg_id}")
    assert gone.status_code == 204
    assert crg.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert crg.get(task_url).status_code == 404
    assert world["case"]["id"] not in crg.get("/api/v1/cases").text
    audit = api.as_("business_manager").get("/api/v1/audit-events", params={"object_id": case_id}).json()["items"]
    assert {"case.member_added", "case.member_removed"} <= {e["action"] for e in audit}


def test_oversight_roles_are_the_partnerships_choice(api: Api, world: dict[str, Any], db_url: str) -> None:
    chair = api.as_("partnership_chair")
    assert chair.get("/api/v1/me").json()["oversight"] is True
    assert api.as_("case_review_group_member").get("/api/v1/me").json()["oversight"] is False
    assert chair.get(f"/api/v1/cases/{world['case']['id']}").json()["access"] == "full"
    with get_engine(db_url).begin() as conn:
        conn.execute(text("""UPDATE partnership SET data_protection = '{"oversight_roles": ["business_manager"]}'"""))
    assert chair.get(f"/api/v1/cases/{world['case']['id']}").status_code == 404
    assert api.as_("business_manager").get(f"/api/v1/cases/{world['case']['id']}").status_code == 200


def test_a_partnership_opens_only_the_case_types_of_its_kind(api: Api) -> None:
    other = api.as_("other")  # an adults board
    keys = {t["key"] for t in other.get("/api/v1/case-types").json()["items"]}
    assert "sar" in keys and "cspr" not in keys and "dhr" not in keys
    refused = other.post(
        "/api/v1/cases",
        json={"case_type": "cspr", "title": "t", "subject_pseudonym": "C", "data": {"aware_at": "2026-11-02"}},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "case_type" and "children" in refused.json()["errors"][0]["message"]
    assert other.get("/api/v1/cases").json()["items"] == []  # nothing was left behind


def test_the_subject_is_pseudonymised_and_revealed_only_to_a_member_whose_role_allows_it(
    api: Api, world: dict[str, Any], db_url: str
) -> None:
    case_id = world["case"]["id"]
    manager = api.as_("business_manager")
    case = manager.get(f"/api/v1/cases/{case_id}").json()
    assert case["subject_pseudonym"] == "Child Q"
    assert case["subject_identifiers_held"] == ["subject_date_of_birth", "subject_name"]
    instance = manager.get(f"/api/v1/process-instances/{case['instance_id']}").json()
    assert SECRET_NAME not in str(instance) and SECRET_NAME not in str(case)
    with get_engine(db_url).connect() as conn:  # sealed at rest, not merely hidden
        stored = " ".join(str(row) for row in conn.execute(text("SELECT * FROM case_subject")))
        assert SECRET_NAME not in stored and "2019-05-04" not in stored
    # The business manager leads the case: a lead may reveal; a panel member may not.
    revealed = _post(api, "business_manager", f"/api/v1/cases/{case_id}/subject/reveal", {"reason": "letter"}, 200)
    assert revealed["identifiers"] == {"subject_name": SECRET_NAME, "subject_date_of_birth": "2019-05-04"}
    _post(
        api,
        "business_manager",
        f"/api/v1/cases/{case_id}/members",
        {"user_id": api.user_id("case_review_group_member"), "case_role": "panel_member"},
    )
    refused = api.as_("case_review_group_member").post(
        f"/api/v1/cases/{case_id}/subject/reveal", json={"reason": "curious"}
    )
    assert refused.status_code == 403 and "panel_member" in refused.json()["detail"]
    assert (
        api.as_("partnership_chair")
        .post(f"/api/v1/cases/{case_id}/subject/reveal", json={"reason": "x" * 5})
        .status_code
        == 403
    )  # oversight sees the case, but revealing needs a role on it
    looks = api.as_("partnership_admin").get("/api/v1/access-events", params={"kind": "subject.revealed"}).json()
    assert [e["actor_id"] for e in looks["items"]] == [api.user_id("business_manager")]


def test_every_read_leaves_exactly_one_access_log_entry(api: Api, world: dict[str, Any]) -> None:
    manager = api.as_("business_manager")
    case, admin = world["case"], api.as_("partnership_admin")
    before = admin.get("/api/v1/access-events", params={"limit": 200}).json()["items"]
    reads = {
        "case.read": f"/api/v1/cases/{case['id']}",
        "instance.variables": f"/api/v1/process-instances/{case['instance_id']}",
        "instance.history": f"/api/v1/process-instances/{case['instance_id']}/history",
        "instance.diagram": f"/api/v1/process-instances/{case['instance_id']}/diagram.svg",
        "task.read": f"/api/v1/tasks/{world['health_task']['id']}",
        "evidence.read": f"/api/v1/evidence/{world['evidence']['id']}/content",
    }
    for kind, url in reads.items():
        response = manager.get(url, headers={"X-Request-ID": f"probe-{kind}"})
        assert response.status_code == 200, (url, response.text)
    _post(api, "business_manager", f"/api/v1/cases/{case['id']}/subject/reveal", {"reason": "letter"}, 200)
    after = admin.get("/api/v1/access-events", params={"limit": 200}).json()["items"]
    new = after[: len(after) - len(before)]
    by_kind = {kind: [e for e in new if e["kind"] == kind] for kind in (*reads, "subject.revealed")}
    assert {kind: len(entries) for kind, entries in by_kind.items()} == dict.fromkeys(by_kind, 1)
    for kind in reads:
        entry = by_kind[kind][0]
        assert entry["correlation_id"] == f"probe-{kind}" and entry["actor_id"] == api.user_id("business_manager")
        assert entry["case_id"] in (case["id"], world["action"]["case_id"])
    # "Who looked at case X" and "what did Y look at"
    on_case = admin.get("/api/v1/access-events", params={"case_id": case["id"]}).json()["items"]
    assert {e["kind"] for e in on_case} >= {"case.read", "task.read", "subject.revealed"}
    by_person = admin.get(
        "/api/v1/access-events", params={"actor_id": api.user_id("business_manager"), "since": "2000-01-01T00:00:00Z"}
    ).json()["items"]
    assert len(by_person) >= len(new)
    # Lists and refused reads leave nothing; only admins and the DPO read the log.
    manager.get("/api/v1/cases")
    api.as_("case_review_group_member").get(f"/api/v1/cases/{case['id']}")
    assert len(admin.get("/api/v1/access-events", params={"limit": 200}).json()["items"]) == len(after)
    assert manager.get("/api/v1/access-events").status_code == 403


def test_the_access_log_cannot_be_changed_in_the_database(api: Api, world: dict[str, Any], db_url: str) -> None:
    api.as_("business_manager").get(f"/api/v1/cases/{world['case']['id']}")
    engine = get_engine(db_url)
    for statement in ("UPDATE access_event SET actor_label = 'nobody'", "DELETE FROM access_event"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM access_event WHERE actor_label <> 'nobody'")).scalar_one() > 0


def test_a_data_protection_officer_exports_everything_held_about_one_subject(api: Api, world: dict[str, Any]) -> None:
    # A second case about the same child (the name typed differently) and one about another child.
    for name, title in ((SECRET_NAME.upper(), "Second case"), ("Someone Else", "Unrelated")):
        _post(
            api,
            "business_manager",
            "/api/v1/cases",
            {
                "case_type": "cspr",
                "title": title,
                "subject_pseudonym": "Child",
                "data": {
                    "aware_at": "2026-11-02",
                    "incident_type": "death",
                    "subject_name": name,
                    "subject_date_of_birth": "2019-05-04",
                },
            },
        )
    request = {"identifiers": {"subject_name": SECRET_NAME, "subject_date_of_birth": "2019-05-04"}}
    assert (
        api.as_("business_manager").post("/api/v1/data-protection/subject-access-exports", json=request).status_code
        == 403
    )
    bundle = _post(api, "data_protection_officer", "/api/v1/data-protection/subject-access-exports", request, 200)
    assert sorted(c["title"] for c in bundle["cases"]) == ["Second case", "Walsgrove incident"]
    exported = next(c for c in bundle["cases"] if c["title"] == "Walsgrove incident")
    assert exported["identifiers"]["subject_name"] == SECRET_NAME
    assert any(HEALTH_SECRET in str(t["data"]) for t in exported["tasks"])
    assert exported["evidence_files"][0]["filename"] == "walsgrove.pdf"
    looks = api.as_("partnership_admin").get("/api/v1/access-events", params={"kind": "subject.exported"}).json()
    assert len(looks["items"]) == 2 and world["case"]["id"] in {e["case_id"] for e in looks["items"]}
    missing = api.as_("partnership_admin").post(
        "/api/v1/data-protection/subject-access-exports", json={"identifiers": {"subject_nhs_number": "000"}}
    )
    assert missing.status_code == 404

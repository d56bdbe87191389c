"""Data protection over HTTP, on the real database: the partnership's settings and legal holds."""

from __future__ import annotations

import pytest
from sqlmodel import select

from service.access.policy import RECORD_CLASSES
from service.db.session import unit_of_work
from service.identity import directory
from service.identity.tokens import create_token
from service.models import Partnership
from tests.api.test_action_plans import _review
from tests.conftest import Api


@pytest.fixture
def dpo(api: Api, db_url: str) -> str:
    """A data protection officer of the demo partnership (the demo has none): their token's role name."""
    with unit_of_work(url=db_url) as session:
        partnership = session.exec(select(Partnership).where(Partnership.key == "northshire")).one()
        user = directory.add_user(
            session,
            partnership_id=partnership.id,
            name="Dana Officer",
            email="dpo@northshire.example",
            roles=["data_protection_officer"],
        )
        api.tokens["data_protection_officer"] = create_token(session, user_id=user.id, name="test")
    return "data_protection_officer"


def test_data_protection_settings_are_validated_stored_as_set_and_audited(api: Api, dpo: str, db_url: str) -> None:
    read = api.as_("case_review_group_member").get("/api/v1/partnership/data-protection")
    assert read.status_code == 200, read.text
    review_rule = read.json()["retention"]["review_case"]
    assert (review_rule["years"], review_rule["from_event"], review_rule["default"]) == (15, "case_closed", True)
    assert "15 years after closure" in review_rule["source"]
    assert tuple(read.json()["retention"]) == RECORD_CLASSES
    path = "/api/v1/partnership/data-protection"
    assert api.as_("business_manager").patch(path, json={"retention": {}}).status_code == 403
    for body, field in [
        ({"keep_forever": True}, "keep_forever"),
        ({"retention": {"diaries": {"years": 3}}}, "retention.diaries"),
        ({"retention": {"review_case": {"years": 0}}}, "retention.review_case.years"),
        ({"retention": {"review_case": {"years": 20, "from": "x"}}}, "retention.review_case.from"),
        ({"retention": {"training_record": {"from_event": "case_closed"}}}, "retention.training_record.from_event"),
    ]:
        refused = api.as_(dpo).patch(path, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    changed = api.as_(dpo).patch(path, json={"retention": {"review_case": {"from_event": "subject_25th_birthday"}}})
    assert changed.status_code == 200, changed.text
    rule = changed.json()["retention"]["review_case"]
    assert (rule["years"], rule["from_event"], rule["default"]) == (15, "subject_25th_birthday", False)
    assert changed.json()["retention"]["evidence_file"]["default"] is True
    with unit_of_work(write=False, url=db_url) as session:
        stored = session.exec(select(Partnership.data_protection).where(Partnership.key == "northshire")).one()
    assert stored == {"retention": {"review_case": {"years": 15, "from_event": "subject_25th_birthday"}}}
    audit = api.as_("partnership_admin").get(
        "/api/v1/audit-events", params={"action": "partnership.data_protection_changed"}
    )
    assert [e["detail"] for e in audit.json()["items"]] == [
        {"retention": {"review_case": {"years": 15, "from_event": "subject_25th_birthday"}}}
    ]


def test_who_may_place_change_and_lift_a_legal_hold(api: Api, dpo: str) -> None:
    case = _review(api)
    hold = f"/api/v1/cases/{case['id']}/legal-hold"
    for role in ("case_review_group_member", "agency_safeguarding_lead:police", "process_owner"):
        refused = api.as_(role).request("PUT", hold, json={"reason": "litigation"})
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    elsewhere = api.as_("other").request("PUT", hold, json={"reason": "litigation"})
    assert elsewhere.status_code == 404 and elsewhere.headers["content-type"].startswith("application/problem+json")
    assert api.as_(dpo).request("PUT", hold, json={"reason": ""}).status_code == 422
    placed = api.as_("partnership_admin").request("PUT", hold, json={"reason": "Claim filed"})
    assert placed.status_code == 200 and placed.json()["legal_hold"]["placed_by_name"] == "Pat Adams"
    changed = api.as_(dpo).request("PUT", hold, json={"reason": "Claim filed; disclosure ordered"})
    assert changed.json()["legal_hold"]["placed_by_name"] == "Pat Adams"  # who placed it and when stay
    assert changed.json()["legal_hold"]["reason"] == "Claim filed; disclosure ordered"
    assert api.as_(dpo).delete(hold).status_code == 422  # a reason is needed
    assert api.as_(dpo).delete(hold, params={"reason": "Claim settled"}).json()["legal_hold"] is None
    assert api.as_(dpo).delete(hold, params={"reason": "again"}).status_code == 409

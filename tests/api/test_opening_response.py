"""The case a POST /cases answers with is the case a GET then reads: its view is built from what the opening
wrote (service/workflow/opening.py, OpenedHere), not read back, so these compare the two."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api

SAME = ("links", "subject_identifiers_held", "stages", "status", "reference")


def _opened_then_read(api: Api, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    manager = api.as_("business_manager")
    opened = manager.post("/api/v1/cases", json=body)
    assert opened.status_code == 201, opened.text
    read = manager.get(f"/api/v1/cases/{opened.json()['id']}")
    assert read.status_code == 200, read.text
    return opened.json(), read.json()


def test_a_case_whose_first_step_opens_another_is_answered_with_its_link(api: Api) -> None:
    opened, read = _opened_then_read(
        api, {"case_type": "opens_at_start_probe", "title": "o", "subject_pseudonym": "n/a", "data": {}}
    )
    [link] = opened["links"]
    assert link["case_type"] == "message_probe" and link["direction"] == "opened"
    assert link["relation"] == "opened_at_start"
    assert {k: opened[k] for k in SAME} == {k: read[k] for k in SAME}


def test_a_case_opened_with_identifiers_names_them_and_has_no_links(api: Api) -> None:
    opened, read = _opened_then_read(
        api,
        {
            "case_type": "cspr",
            "title": "t",
            "subject_pseudonym": "Child P",
            "involved_agencies": ["police"],
            "data": {
                "aware_at": "2026-11-02",
                "incident_type": "serious_harm",
                "subject_name": "Named Person",
                "subject_date_of_birth": "2019-05-04",
            },
        },
    )
    assert opened["subject_identifiers_held"] == ["subject_date_of_birth", "subject_name"]
    assert opened["links"] == []
    assert {k: opened[k] for k in SAME} == {k: read[k] for k in SAME}


def test_a_case_opened_without_identifiers_holds_none(api: Api) -> None:
    opened, read = _opened_then_read(
        api, {"case_type": "message_probe", "title": "m", "subject_pseudonym": "n/a", "data": {}}
    )
    assert opened["subject_identifiers_held"] == [] and opened["links"] == []
    assert {k: opened[k] for k in SAME} == {k: read[k] for k in SAME}

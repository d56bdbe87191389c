"""Date rules declared on form fields (not_future, not_before, not_after): checked at upload, published in the
form's JSON Schema and enforced per field when the form is submitted."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import engine
from service.engine.forms import validate_submission

ROOT = Path(__file__).parents[2]
CSPR_XML = (ROOT / "bpmn" / "cspr.bpmn").read_text(encoding="utf-8")
NOTIFIED_RULES = '<camunda:constraint name="not_before" config="aware_at"/>'


@pytest.fixture(scope="module")
def cspr() -> engine.LoadedDefinition:
    return engine.load_definition(CSPR_XML.encode(), process_id="cspr", source="cspr.bpmn")


def test_the_rules_are_published_in_the_form_schema(cspr: engine.LoadedDefinition) -> None:
    notified = cspr.user_tasks["Task_NotifyPanel"].form_schema["properties"]["notified_at"]
    assert notified["x-lif-not-future"] is True and notified["x-lif-not-before"] == "aware_at"
    sending = cspr.user_tasks["Task_SendReportBeforePublication"].form_schema["properties"]
    assert sending["planned_publication_date"]["x-lif-not-before"] == "report_sent_at"
    assert "x-lif-not-future" not in sending["planned_publication_date"]  # a plan, not something that happened
    assert cspr.start_form_schema["properties"]["aware_at"]["x-lif-not-future"] is True


def test_not_future_refuses_tomorrow_and_accepts_today(cspr: engine.LoadedDefinition) -> None:
    schema = cspr.user_tasks["Task_NotifyPanel"].form_schema
    [error] = validate_submission(schema, {"notified_at": "2026-12-02"}, today="2026-12-01")
    assert error.field == "notified_at" and "must not be in the future" in error.message
    assert validate_submission(schema, {"notified_at": "2026-12-01"}, today="2026-12-01") == []


def test_not_before_a_process_variable(cspr: engine.LoadedDefinition) -> None:
    schema = cspr.user_tasks["Task_NotifyPanel"].form_schema
    variables = {"aware_at": "2026-11-20"}
    [error] = validate_submission(schema, {"notified_at": "2026-11-19"}, variables=variables, today="2026-12-01")
    assert error.field == "notified_at"
    assert error.message == "must not be before 'aware at' (2026-11-20)"
    assert validate_submission(schema, {"notified_at": "2026-11-20"}, variables=variables, today="2026-12-01") == []
    # The other date not known (yet): the rule has nothing to compare with.
    assert validate_submission(schema, {"notified_at": "2026-11-19"}, today="2026-12-01") == []


def test_publication_not_before_the_report_was_sent(cspr: engine.LoadedDefinition) -> None:
    schema = cspr.user_tasks["Task_PublishReport"].form_schema
    answers = {"published_at": "2026-10-01", "publication_url": "https://example.org/r"}
    errors = validate_submission(schema, answers, variables={"report_sent_at": "2026-10-05"}, today="2026-12-01")
    assert [(e.field, e.message) for e in errors] == [
        ("published_at", "must not be before 'report sent at' (2026-10-05)")
    ]


def test_not_before_another_field_of_the_same_form_prefers_the_submitted_value(cspr: engine.LoadedDefinition) -> None:
    schema = cspr.user_tasks["Task_SendReportBeforePublication"].form_schema
    answers = {"report_sent_at": "2026-11-10", "planned_publication_date": "2026-11-09"}
    errors = validate_submission(schema, answers, variables={"report_sent_at": "2026-01-01"}, today="2026-12-01")
    assert [e.field for e in errors] == ["planned_publication_date"]
    assert "'Date the redacted report was sent" in errors[0].message  # the other field's label
    # A field that is itself invalid is reported once, for what is wrong with it, not compared.
    errors = validate_submission(schema, {**answers, "report_sent_at": "2026-13-01"}, today="2026-12-01")
    assert [(e.field, e.message) for e in errors] == [("report_sent_at", "must be a date written YYYY-MM-DD")]


def test_not_after() -> None:
    schema = {
        "type": "object",
        "properties": {
            "offence_on": {"type": "string", "format": "date", "x-lif-not-after": "referral_date", "title": "Offence"}
        },
    }
    [error] = validate_submission(schema, {"offence_on": "2026-05-02"}, variables={"referral_date": "2026-05-01"})
    assert error.message == "must not be after 'referral date' (2026-05-01)"
    assert validate_submission(schema, {"offence_on": "2026-05-01"}, variables={"referral_date": "2026-05-01"}) == []


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        ('<camunda:constraint name="not_before" config="awareness_date"/>', "names 'awareness_date', which is no"),
        ('<camunda:constraint name="not_before"/>', "needs config"),
        ('<camunda:constraint name="not_before" config="notified_at"/>', "compares the field with itself"),
        ('<camunda:constraint name="not_future" config="aware_at"/>', "takes no config"),
    ],
)
def test_a_bad_rule_is_refused_at_upload_naming_the_task_and_field(replacement: str, expected: str) -> None:
    xml = CSPR_XML.replace(NOTIFIED_RULES, replacement, 1)
    assert xml != CSPR_XML
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(xml.encode(), process_id="cspr", source="cspr.bpmn")
    [problem] = refused.value.problems
    assert problem.element_id == "Task_NotifyPanel"
    assert problem.message.startswith("form field 'notified_at': constraint ") and expected in problem.message


def test_a_rule_on_a_field_that_is_not_a_date_is_refused() -> None:
    old = '<camunda:formField id="panel_notification_reference" label="Panel notification reference" type="string"/>'
    assert old in CSPR_XML
    new = (
        old[:-2]
        + '><camunda:validation><camunda:constraint name="not_future"/></camunda:validation></camunda:formField>'
    )
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(CSPR_XML.replace(old, new, 1).encode(), process_id="cspr", source="cspr.bpmn")
    [problem] = refused.value.problems
    assert problem.element_id == "Task_NotifyPanel" and "applies to date fields only" in problem.message


def test_a_rule_may_name_a_variable_a_script_sets() -> None:
    xml = CSPR_XML.replace(NOTIFIED_RULES, '<camunda:constraint name="not_before" config="rapid_review_start"/>', 1)
    assert "rapid_review_start =" in xml  # set by a script task, not by a form
    loaded = engine.load_definition(xml.encode(), process_id="cspr", source="cspr.bpmn")
    notified = loaded.user_tasks["Task_NotifyPanel"].form_schema["properties"]["notified_at"]
    assert notified["x-lif-not-before"] == "rapid_review_start"

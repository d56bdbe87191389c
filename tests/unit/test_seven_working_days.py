"""The CSPR's 7-working-day notice: the gateway that asks for a new date and the clock agree on every day.

Both are read from bpmn/cspr.bpmn and evaluated by the service's own code, so an edit to either that makes
them disagree (on a weekend, a bank holiday, or any day) fails here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from service import engine
from service.access.roles import ALL_ROLES
from service.cases.clocks import clock_statuses
from service.engine import expressions

CSPR = Path(__file__).parents[2] / "bpmn" / "cspr.bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


@pytest.fixture(scope="module")
def rule() -> tuple[engine.ClockDefinition, str]:
    definition = engine.load_definition(CSPR.read_bytes(), process_id="cspr", source="cspr.bpmn", known_roles=ALL_ROLES)
    clock = next(c for c in definition.clocks if c.key == "pre_publication")
    flow = etree.parse(str(CSPR)).find(".//bpmn:sequenceFlow[@id='Flow_NoticeTooShort']/bpmn:conditionExpression", NS)
    assert flow is not None and flow.text
    return clock, flow.text


def _agree(rule: tuple[engine.ClockDefinition, str], planned: dt.date, sent: dt.date) -> tuple[bool, bool]:
    clock, condition = rule
    variables = {
        "publication_decision": "publish",
        "planned_publication_date": planned.isoformat(),
        "report_sent_at": sent.isoformat(),
    }
    (status,) = clock_statuses([clock], variables, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), due_soon_days=2)
    too_short = bool(expressions.evaluate(condition, variables))
    return too_short, status.status == "met_late"


@pytest.mark.parametrize(
    ("planned", "last_day_to_send"),
    [
        (dt.date(2026, 6, 10), dt.date(2026, 6, 1)),  # an ordinary Wednesday
        (dt.date(2026, 6, 13), dt.date(2026, 6, 4)),  # a Saturday: Friday 12 June is the first day counted
        (dt.date(2026, 5, 26), dt.date(2026, 5, 14)),  # the day after the spring bank holiday (25 May skipped)
        (dt.date(2026, 5, 25), dt.date(2026, 5, 14)),  # the bank holiday itself
    ],
)
def test_the_days_named_in_the_docs(
    rule: tuple[engine.ClockDefinition, str], planned: dt.date, last_day_to_send: dt.date
) -> None:
    assert _agree(rule, planned, last_day_to_send) == (False, False)
    assert _agree(rule, planned, last_day_to_send + dt.timedelta(days=1)) == (True, True)


def test_gateway_and_clock_agree_for_every_publication_day_of_a_year(rule: tuple[engine.ClockDefinition, str]) -> None:
    first = dt.date(2026, 1, 1)
    for offset in range(366):
        planned = first + dt.timedelta(days=offset)
        for back in range(0, 20):
            too_short, late = _agree(rule, planned, planned - dt.timedelta(days=back))
            assert too_short == late, (planned, back)

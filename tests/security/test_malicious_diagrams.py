"""A corpus of hostile diagrams: each is refused cleanly, quickly, and changes nothing.

Every entry is one way a process owner's diagram (or a value it computes) could make the service work for
too long, build too much, or run code. Entries refused by validation must name their element; entries that
only show when run must make the step fail cleanly (409, no case created) and the simulator must stop with a
reason. Each refusal is timed: 2 s of processor time is the promise of docs/security.md, whatever the budget is
set to, and wall-clock time is held to a looser bound so a loaded test machine does not make the test flaky.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from service.engine import budget
from tests.conftest import Api

PROBE = (Path(__file__).parent / "budget_probe.bpmn").read_text(encoding="utf-8")
REFUSED_WITHIN = 2.0  # seconds of processor time (this process: the test client and the app's threads)
WALL_CLOCK_LIMIT = 6.0  # a hang shows here even when the processor is idle


class _Timer:
    """Processor and wall-clock time of one request."""

    def __enter__(self) -> _Timer:
        self.cpu, self.wall = time.process_time(), time.monotonic()
        return self

    def __exit__(self, *_: object) -> None:
        self.cpu, self.wall = time.process_time() - self.cpu, time.monotonic() - self.wall

    def over(self, limit: float) -> str | None:
        if self.cpu > limit or self.wall > WALL_CLOCK_LIMIT * limit / REFUSED_WITHIN:
            return f"took {self.cpu:.2f} s of processor time, {self.wall:.2f} s in all"
        return None


@dataclass(frozen=True)
class Hostile:
    name: str
    script: str = "result = 1"
    timer: str = "P1D"
    timer_kind: str = "timeDuration"
    element: str | None = None  # set: refused at validation, naming this element; unset: refused when run


def diagram(entry: Hostile) -> str:
    xml = PROBE.replace("SCRIPT", escape(entry.script)).replace("TIMER", escape(entry.timer))
    return xml.replace("timeDuration", entry.timer_kind)


STATIC = [
    Hostile("duration of a hundred million years", timer="P99999999Y", element="Timer_Wait"),
    Hostile("timer dated year 1", timer="0001-01-01T00:00:00Z", timer_kind="timeDate", element="Timer_Wait"),
    Hostile("cycle repeating forever every second", timer="R/PT1S", timer_kind="timeCycle", element="Timer_Wait"),
    Hostile("100,000 unary minus signs", script="x = " + "-" * 100_000 + "1", element="Script_Work"),
    Hostile("50,000 nots", script="x = " + "not " * 50_000 + "True", element="Script_Work"),
    Hostile("100,000 terms", script="x = " + " + ".join(["1"] * 100_000), element="Script_Work"),
    Hostile("lists nested 200 deep", script="x = " + "[" * 200 + "1" + "]" * 200, element="Script_Work"),
    Hostile("import through a dunder", script="x = __import__('os').system('id')", element="Script_Work"),
    Hostile("walk to object's subclasses", script="x = ().__class__.__bases__", element="Script_Work"),
    Hostile("a gigabyte of text", script="x = 'x' * 1000000000", element="Script_Work"),
    Hostile("a 200 MB format width", script="x = '%200000000d' % 1", element="Script_Work"),
    Hostile("comprehension loop", script="x = [i for i in range(10**9)]", element="Script_Work"),
    Hostile("lambda", script="f = lambda: 1", element="Script_Work"),
]

RUNTIME = [
    Hostile("squaring a number twenty times", script="n = 10\n" + "n = n * n\n" * 20),
    Hostile("two million working days", script="d = add_working_days(today(), 2000000)"),
    Hostile("working days across 8,000 years", script="d = working_days_between('0001-01-01', '8000-01-01')"),
    Hostile("sum of nested lists", script="x = [[1] * 100] * 100\ny = sum(x, [])"),
    Hostile("a format width computed at run time", script="f = '%' + str(200000000) + 'd'\ny = f % 1"),
    Hostile("replace that multiplies text", script="s = 'a' * 1000\ny = s.replace('', 'b' * 10000)"),
    Hostile("join with a huge separator", script="parts = ['x' * 1000] * 900\ny = ('-' * 10000).join(parts)"),
    Hostile("a list of a million-element lists", script="x = [0] * 999000\ny = [x] * 1000"),
    Hostile("a list inside itself", script="x = [1]\nx[0] = x"),
    Hostile("repeated sorting of a large list", script="x = [5, 3, 1] * 100000\n" + "y = sorted(x)\n" * 300),
    Hostile("many searches of a large list", script="x = [0] * 400000\n" + "c = 7 in x\n" * 900),
    Hostile(
        "a timer of a hundred million years computed at run time", script="wait = 'P' + '99999999' + 'Y'", timer="wait"
    ),
    Hostile(
        "a timer dated year 1 computed at run time",
        script="when = '0001-01-01T00:00:00Z'",
        timer="when",
        timer_kind="timeDate",
    ),
]


def _owner(api: Api) -> Any:
    return api.as_("process_owner")


def _upload(api: Api, url: str, xml: str, **form: str) -> Any:
    files = {"file": ("budget_probe.bpmn", xml.encode(), "application/xml")}
    return _owner(api).post(url, files=files, data=form)


def _cases(api: Api) -> int:
    return len(api.as_("business_manager").get("/api/v1/cases?limit=200").json()["items"])


def _static_refusal(api: Api, entry: Hostile) -> str | None:
    xml = diagram(entry)
    with _Timer() as timer:
        report = _upload(api, "/api/v1/process-definitions/validate", xml).json()
        deployed = _upload(api, "/api/v1/process-definitions", xml, change_note="hostile")
        simulated = _owner(api).post("/api/v1/process-definitions/simulate", json={"bpmn_xml": xml})
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    if report["valid"] or entry.element not in {p["element_id"] for p in errors}:
        return f"validation did not name {entry.element}: {str(report)[:300]}"
    for response in (deployed, simulated):
        if response.status_code != 422 or response.headers["content-type"] != "application/problem+json":
            return f"{response.request.url.path} answered {response.status_code}: {response.text[:300]}"
    return timer.over(3 * REFUSED_WITHIN)  # three requests


def _runtime_refusal(api: Api, entry: Hostile) -> str | None:
    xml = diagram(entry)
    deployed = _upload(api, "/api/v1/process-definitions", xml, change_note="passes validation")
    if deployed.status_code != 201:
        return f"did not deploy: {deployed.text[:300]}"
    before = _cases(api)
    with _Timer() as timer:
        opened = api.as_("business_manager").post(
            "/api/v1/cases",
            json={"case_type": "budget_probe", "title": "hostile", "subject_pseudonym": "n/a", "data": {}},
        )
    if opened.status_code != 409 or opened.headers["content-type"] != "application/problem+json":
        return f"opening a case answered {opened.status_code}: {opened.text[:300]}"
    detail = opened.json()["detail"]
    if "could not start" not in detail or not ("Script_Work" in detail or "timer" in detail):
        return f"unclear refusal: {detail[:300]}"
    if late := timer.over(REFUSED_WITHIN):
        return f"refused, but {late}"
    if _cases(api) != before:
        return "a case was left behind"
    with _Timer() as timer:
        simulated = _owner(api).post("/api/v1/process-definitions/simulate", json={"bpmn_xml": xml})
    if simulated.status_code != 200 or simulated.json()["completed"] or not simulated.json()["stopped_reason"]:
        return f"simulation answered {simulated.status_code}: {simulated.text[:300]}"
    if late := timer.over(REFUSED_WITHIN):
        return f"simulation stopped, but {late}"
    return None


# One database for the whole corpus (each entry deploys its own version): the corpus stays cheap to run.
def test_each_hostile_diagram_is_refused_at_validation_naming_its_element(api: Api) -> None:
    failures = {entry.name: why for entry in STATIC if (why := _static_refusal(api, entry))}
    assert not failures, failures


def test_each_hostile_value_is_refused_when_run_quickly_and_changes_nothing(api: Api) -> None:
    failures = {entry.name: why for entry in RUNTIME if (why := _runtime_refusal(api, entry))}
    assert not failures, failures


def test_the_probe_itself_runs_when_harmless(api: Api) -> None:
    """The corpus proves refusals only if the same diagram, made harmless, deploys and runs."""
    xml = diagram(Hostile("harmless", script="x = sorted([3, 1, 2])\ny = ', '.join(['a', 'b'])"))
    assert _upload(api, "/api/v1/process-definitions", xml, change_note="harmless").status_code == 201
    opened = api.as_("business_manager").post(
        "/api/v1/cases", json={"case_type": "budget_probe", "title": "fine", "subject_pseudonym": "n/a", "data": {}}
    )
    assert opened.status_code == 201, opened.text[:500]
    assert budget.STEP_SECONDS < REFUSED_WITHIN  # the promise holds only while the budget is below it


def test_entity_tricks_are_refused_before_parsing_the_diagram(api: Api) -> None:
    """An external entity (reading a server file) and nested entities (a billion laughs) never get expanded."""
    doctypes = [
        '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    ]
    for doctype in doctypes:
        xml = diagram(Hostile("entities", script="x = 1")).replace("?>", "?>\n" + doctype, 1)
        xml = xml.replace("x = 1", "x = '&xxe;'" if "xxe" in doctype else "x = '&d;'")
        for response in (
            _upload(api, "/api/v1/process-definitions/validate", xml),
            _upload(api, "/api/v1/process-definitions", xml, change_note="entities"),
            _owner(api).post("/api/v1/process-definitions/simulate", json={"bpmn_xml": xml}),
        ):
            assert response.status_code == 422, response.text[:300]
            assert "DOCTYPE" in response.text and "root:" not in response.text

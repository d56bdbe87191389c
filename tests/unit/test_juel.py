"""Camunda 7 (JUEL) idioms pasted into diagrams: what validation accepts also runs, with the same meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.engine import expressions
from service.processes.validation import validate

IDIOMS: list[tuple[str, dict[str, Any], Any]] = [
    ("${approved == true}", {"approved": True}, True),
    ("${approved == false}", {"approved": True}, False),
    ("${x != null}", {"x": None}, False),
    ("${!x}", {"x": False}, True),
    ("${a && !b}", {"a": True, "b": True}, False),
    ("${a || b}", {"a": False, "b": True}, True),
    ("${n gt 3 && n le 10}", {"n": 11}, False),
    ("${n ge 3 and n lt 4}", {"n": 3}, True),
    ("${n eq 2 || n ne 5}", {"n": 5}, False),
    ("${count mod 2 eq 0}", {"count": 4}, True),
    ("${total div 4}", {"total": 10}, 2.5),
    ("${empty items}", {"items": []}, True),
    ("${not empty items}", {"items": [1]}, True),
    ("${empty note}", {"note": None}, True),
    ("${empty answers.get('x')}", {"answers": {"x": "y"}}, False),
    ("${decision eq 'a && b || !c'}", {"decision": "a && b || !c"}, True),  # never inside a string literal
]


@pytest.mark.parametrize(("source", "names", "expected"), IDIOMS, ids=[i[0] for i in IDIOMS])
def test_a_camunda_idiom_passes_validation_and_runs_with_its_meaning(
    source: str, names: dict[str, Any], expected: Any
) -> None:
    expressions.check(source)
    assert expressions.evaluate(source, names) == expected


def test_python_spelling_is_untouched() -> None:
    assert expressions.normalise("x != 1 and not y") == "x != 1 and not y"
    assert expressions.evaluate("equal == 1", {"equal": 1}) is True  # a name containing 'eq' is just a name


def test_a_cron_cycle_is_refused_at_validation_with_what_to_write_instead() -> None:
    probe = (Path(__file__).parents[1] / "security" / "budget_probe.bpmn").read_text(encoding="utf-8")
    xml = probe.replace("SCRIPT", "x = 1").replace("TIMER", "0 0 9 * * ?").replace("timeDuration", "timeCycle")
    report = validate(xml.encode(), filename="cron.bpmn")
    (problem,) = [p for p in report.problems if p.severity == "error"]
    assert problem.element_id == "Timer_Wait" and "cron" in problem.message and "R52/P1W" in problem.message

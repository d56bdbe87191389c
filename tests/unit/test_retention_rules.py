"""What a disposed record keeps: values that identify nobody, and nothing typed as free text."""

from __future__ import annotations

import pytest

from service import engine
from service.access.roles import ALL_ROLES
from service.config import REPO_ROOT
from service.dataprotection.anonymise import Keeper, is_iso_moment


def _bundled(name: str) -> engine.LoadedDefinition:
    path = REPO_ROOT / "bpmn" / f"{name}.bpmn"
    return engine.load_definition(path.read_bytes(), process_id=name, source=path.name, known_roles=ALL_ROLES)


def test_a_disposed_record_keeps_only_what_identifies_nobody() -> None:
    keeper = Keeper(_bundled("sar"))
    values = {
        "decision": "discretionary",  # an option of the decision form
        "legal_mandate": "Care Act 2014 s44(4) (discretionary)",  # written by the diagram's own script
        "decision_at": "2026-02-10",
        "completed_at": "2026-02-10T09:30:00+00:00",
        "recommendation_count": 4,
        "has_actions": False,
        "information_not_supplied": None,
        "decision_rationale": "Mr Quill's neighbours raised concerns",
        "reviewer_name": "A. Reviewer",
        "methodology": "publish",  # an option of another field: not of this one
        "involved_agencies": ["police", "asc"],
        "attendee": {"name": "Zeb", "agency": "police"},
        "not_a_date": "2026-13-45",
    }
    assert keeper.kept(values) == {
        "decision": "discretionary",
        "legal_mandate": "Care Act 2014 s44(4) (discretionary)",
        "decision_at": "2026-02-10",
        "completed_at": "2026-02-10T09:30:00+00:00",
        "recommendation_count": 4,
        "has_actions": False,
        "information_not_supplied": None,
    }


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-02-10", True),
        ("2026-02-10T09:30:00Z", True),
        ("2026-02-30", False),
        ("10/02/2026", False),
        ("2026", False),
    ],
)
def test_iso_moments(text: str, iso: bool) -> None:
    assert is_iso_moment(text) is iso

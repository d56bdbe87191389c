"""The four levels of a training event's evaluation: reaction, learning, behaviour, results (DOMAIN.md §6, §8)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from sqlmodel import Session, col, select

from service.models import HumanTask, Nomination, TrainingEvent

FOLLOW_UP_TASK = "Task_FollowUpWithAttendee"
EVALUATION_TASK = "Task_EvaluateEvent"
BEHAVIOUR_CHANGES = ("none", "some", "significant")


@dataclass
class Reaction:
    """Level 1: how attendees rated the event on the day (1-5)."""

    responses: int
    mean_reaction_score: float | None


@dataclass
class Learning:
    """Level 2: attendees' confidence (1-5) before and after the event, and the mean change."""

    responses: int
    mean_pre_confidence: float | None
    mean_post_confidence: float | None
    mean_change: float | None


@dataclass
class Behaviour:
    """Level 3: what the follow-ups with attendees and supervisors found in practice."""

    follow_ups_open: int
    follow_ups_completed: int
    by_behaviour_change: dict[str, int]
    supervisor_confirmed: int


@dataclass
class Results:
    """Level 4: links to results for children and adults, and the subgroup's evaluation."""

    outcome_links: list[str] = field(default_factory=list)
    evaluation_summary: str | None = None
    results_summary: str | None = None
    course_change_needed: bool | None = None
    evaluated_at: str | None = None


@dataclass
class Evaluation:
    """The event's evaluation at the four levels."""

    reaction: Reaction
    learning: Learning
    behaviour: Behaviour
    results: Results


def evaluate(session: Session, event: TrainingEvent, nominations: list[Nomination]) -> Evaluation:
    """Compute the four levels from the register and the event's completed lifecycle tasks."""
    attendees = [n for n in nominations if n.attended]
    reactions = [n.reaction_score for n in attendees if n.reaction_score is not None]
    pairs = [
        (n.pre_confidence, n.post_confidence)
        for n in attendees
        if n.pre_confidence is not None and n.post_confidence is not None
    ]
    tasks = _tasks(session, event)
    follow_ups = [t for t in tasks if t.element_id == FOLLOW_UP_TASK]
    done = [t.data for t in follow_ups if t.state == "completed"]
    changes = Counter(str(d.get("behaviour_change")) for d in done)
    evaluation = next((t.data for t in tasks if t.element_id == EVALUATION_TASK and t.state == "completed"), {})
    return Evaluation(
        reaction=Reaction(responses=len(reactions), mean_reaction_score=_mean(reactions)),
        learning=Learning(
            responses=len(pairs),
            mean_pre_confidence=_mean([p for p, _ in pairs]),
            mean_post_confidence=_mean([q for _, q in pairs]),
            mean_change=_mean([q - p for p, q in pairs]),
        ),
        behaviour=Behaviour(
            follow_ups_open=sum(1 for t in follow_ups if t.state == "open"),
            follow_ups_completed=len(done),
            by_behaviour_change={change: changes.get(change, 0) for change in BEHAVIOUR_CHANGES},
            supervisor_confirmed=sum(1 for d in done if d.get("supervisor_confirms") is True),
        ),
        results=Results(
            outcome_links=[str(d["outcome_link"]) for d in done if d.get("outcome_link")],
            evaluation_summary=_text(evaluation.get("evaluation_summary")),
            results_summary=_text(evaluation.get("results_summary")),
            course_change_needed=evaluation.get("course_change_needed"),
            evaluated_at=_text(evaluation.get("evaluated_at")),
        ),
    )


def _tasks(session: Session, event: TrainingEvent) -> list[HumanTask]:
    if event.case_id is None:
        return []
    return list(
        session.exec(
            select(HumanTask)
            .where(
                HumanTask.partnership_id == event.partnership_id,
                HumanTask.case_id == event.case_id,
                col(HumanTask.element_id).in_((FOLLOW_UP_TASK, EVALUATION_TASK)),
            )
            .order_by(col(HumanTask.created_at), col(HumanTask.id))
        ).all()
    )


def _mean(values: list[int]) -> float | None:
    return round(fmean(values), 2) if values else None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None

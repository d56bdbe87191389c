"""What is due for disposal on a given day, and why: a pure plan, computed from the partnership's retention rules.

Nothing here changes anything; :mod:`service.dataprotection.disposal` disposes exactly what the plan lists. The
rules (DOMAIN.md §9, ``service.access.policy``):

- A case's period never starts before it closed: an open case (or one whose process still runs) is never due.
- A case under legal hold is never due, nor anything belonging to it: its tasks, its actions' evidence, its
  access-log rows and the cases opened for it (actions, learning items, ``parent_case_id``), however deep.
- A case type's record class is what its newest diagram declares (``recordClass``; default ``review_case``).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from service.access.policy import RECORD_CLASSES, RetentionRule, data_protection_for
from service.engine.functions import LONDON, to_date, to_date_or_none
from service.errors import NotFound
from service.models import (
    AccessEvent,
    Action,
    Case,
    CaseSubject,
    Evidence,
    HumanTask,
    LearningItem,
    Nomination,
    Partnership,
    ProcessInstance,
    Trainee,
    TrainingEvent,
    TrainingRecord,
)
from service.processes import registry
from service.sealing import unseal_json

log = logging.getLogger(__name__)
_BIRTHDAYS = {"subject_18th_birthday": 18, "subject_25th_birthday": 25}
_LIVE = ("running", "suspended", "failed")  # a process that may still move: its case is not finished

# What a due item or a disposal log entry is about: access_events is a range of access-log rows.
DISPOSABLE_OBJECTS = ("case", "task", "evidence", "trainee", "access_events")


@dataclass(frozen=True)
class DueItem:
    """One thing due for disposal: what, which rule, counted from when, due since when (never personal data)."""

    record_class: str
    object_type: str  # one of DISPOSABLE_OBJECTS
    object_id: str
    case_id: uuid.UUID | None
    case_reference: str | None
    rule: str
    starts_on: dt.date
    due_on: dt.date


@dataclass(frozen=True)
class _Case:
    id: uuid.UUID
    case_type: str
    reference: str
    closed_on: dt.date | None  # None while open (or while its process may still move)
    disposed: bool
    on_hold: bool  # under legal hold itself (``_held`` adds the cases belonging to it)
    parent: uuid.UUID | None


@dataclass
class Plan:
    """The items due, and what disposing the access-log range needs to delete exactly those rows."""

    items: list[DueItem]
    access_filter: list[ColumnElement[bool]] = field(default_factory=list)


def due_for_disposal(session: Session, *, partnership_id: uuid.UUID, as_of: dt.date) -> list[DueItem]:
    """Everything of the partnership due for disposal on ``as_of``, each with the rule that makes it due."""
    return plan(session, partnership_id=partnership_id, as_of=as_of).items


def plan(session: Session, *, partnership_id: uuid.UUID, as_of: dt.date) -> Plan:
    """The disposal plan for ``as_of`` (see :func:`due_for_disposal`)."""
    partnership = session.get(Partnership, partnership_id)
    if partnership is None:
        raise NotFound(f"there is no partnership {partnership_id}")
    rules = data_protection_for(partnership.data_protection).retention
    cases = _cases(session, partnership_id)
    held = _held(session, partnership_id, cases)
    facts = _Facts(session, partnership_id)
    items: list[DueItem] = []
    whole_cases: set[uuid.UUID] = set()
    classes = _Classes(session, partnership_id)
    for case in cases.values():
        if case.closed_on is None or case.disposed or case.id in held:
            continue
        record_class = classes.of(case.case_type)
        item = _due(record_class, "case", str(case.id), case, rules[record_class], facts, case.closed_on, as_of)
        if item is not None:
            items.append(item)
            whole_cases.add(case.id)
    skip = held | whole_cases
    reviews = {
        c.id: c
        for c in cases.values()
        if c.closed_on and not c.disposed and c.id not in skip and classes.of(c.case_type) == "review_case"
    }
    items.extend(_submissions(session, reviews, rules["agency_submission"], facts, as_of))
    items.extend(_evidence(session, partnership_id, cases, held, rules["evidence_file"], facts, as_of))
    items.extend(_trainees(session, partnership_id, rules["training_record"], as_of))
    access = _access_log(session, partnership_id, held, rules["access_log"], as_of)
    if access is not None:
        items.append(access[0])
    order = {name: n for n, name in enumerate(RECORD_CLASSES)}
    items.sort(key=lambda i: (order[i.record_class], i.case_reference or "", i.object_type, i.object_id))
    return Plan(items=items, access_filter=access[1] if access else [])


def rule_text(rule: RetentionRule) -> str:
    """``"15 years after case_closed"``."""
    return f"{rule.years} years after {rule.from_event}"


def _due(
    record_class: str,
    object_type: str,
    object_id: str,
    case: _Case,
    rule: RetentionRule,
    facts: _Facts,
    closed_on: dt.date,
    as_of: dt.date,
) -> DueItem | None:
    """Due when ``rule`` counted from its event (never before ``closed_on``) has run out by ``as_of``."""
    text = rule_text(rule)
    start = closed_on
    if rule.from_event in _BIRTHDAYS:
        born = facts.date_of_birth(case.id)
        if born is None:
            text += " (no date of birth held: from case_closed)"
        else:
            start = born + relativedelta(years=_BIRTHDAYS[rule.from_event])
    elif rule.from_event == "publication":
        published = facts.published_on(case.id)
        if published is None:
            text += " (not published: from case_closed)"
        else:
            start = published
    if start < closed_on:
        text += " (not before case_closed)"
        start = closed_on
    due_on = start + relativedelta(years=rule.years)
    if due_on > as_of:
        return None
    return DueItem(record_class, object_type, object_id, case.id, case.reference, text, start, due_on)


def _cases(session: Session, partnership_id: uuid.UUID) -> dict[uuid.UUID, _Case]:
    live = set(
        session.exec(
            select(ProcessInstance.case_id).where(
                ProcessInstance.partnership_id == partnership_id, col(ProcessInstance.status).in_(_LIVE)
            )
        ).all()
    )
    rows = session.exec(select(Case).where(Case.partnership_id == partnership_id)).all()
    return {
        case.id: _Case(
            id=case.id,
            case_type=case.case_type,
            reference=case.reference,
            closed_on=to_date(case.closed_at)
            if case.status == "closed" and case.closed_at is not None and case.id not in live
            else None,
            disposed=case.disposed_at is not None,
            on_hold=case.legal_hold_reason is not None,
            parent=case.parent_case_id,
        )
        for case in rows
    }


def _held(session: Session, partnership_id: uuid.UUID, cases: dict[uuid.UUID, _Case]) -> set[uuid.UUID]:
    """Cases under legal hold and every case belonging to one (however deep)."""
    holds = {c.id for c in cases.values() if c.on_hold}
    if not holds:
        return set()
    parents: dict[uuid.UUID, set[uuid.UUID]] = {c.id: {c.parent} if c.parent else set() for c in cases.values()}
    for child, parent in session.exec(
        select(Action.case_id, Action.review_case_id).where(Action.partnership_id == partnership_id)
    ).all():
        if child is not None:
            parents.setdefault(child, set()).add(parent)
    for child, source in session.exec(
        select(LearningItem.case_id, LearningItem.source_case_id).where(LearningItem.partnership_id == partnership_id)
    ).all():
        if child is not None and source is not None:
            parents.setdefault(child, set()).add(source)
    held: set[uuid.UUID] = set()
    for case_id in cases:
        seen: set[uuid.UUID] = set()
        todo = [case_id]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in holds:
                held.add(case_id)
                break
            todo.extend(parents.get(current, ()))
    return held


class _Classes:
    """The record class of each case type, from its newest diagram (read once per type)."""

    def __init__(self, session: Session, partnership_id: uuid.UUID):
        self.session, self.partnership_id = session, partnership_id
        self.known: dict[str, str] = {}

    def of(self, case_type: str) -> str:
        if case_type not in self.known:
            try:
                row = registry.latest_definition(self.session, case_type, self.partnership_id)
                self.known[case_type] = registry.loaded(self.session, row.id).record_class
            except NotFound:
                self.known[case_type] = "review_case"
        return self.known[case_type]


class _Facts:
    """A case's subject's date of birth and its publication date, read only when a rule asks for them."""

    def __init__(self, session: Session, partnership_id: uuid.UUID):
        self.session, self.partnership_id = session, partnership_id
        self.births: dict[uuid.UUID, dt.date | None] | None = None
        self.published: dict[uuid.UUID, dt.date | None] | None = None

    def date_of_birth(self, case_id: uuid.UUID) -> dt.date | None:
        if self.births is None:
            self.births = {}
            for row in self.session.exec(
                select(CaseSubject).where(CaseSubject.partnership_id == self.partnership_id)
            ).all():
                self.births[row.case_id] = _born(row)
        return self.births.get(case_id)

    def published_on(self, case_id: uuid.UUID) -> dt.date | None:
        if self.published is None:
            self.published = {}
            for owner, variables in self.session.exec(
                select(ProcessInstance.case_id, ProcessInstance.variables).where(
                    ProcessInstance.partnership_id == self.partnership_id
                )
            ).all():
                self.published[owner] = _date_or_none(variables.get("published_at"))
        return self.published.get(case_id)


def _born(subject: CaseSubject) -> dt.date | None:
    try:
        identifiers: Any = unseal_json(subject.sealed, "a case subject's identifiers")
    except (RuntimeError, ValueError):
        log.warning("case %s: the subject's identifiers cannot be read; counting from closure", subject.case_id)
        return None
    return _date_or_none(identifiers.get("date_of_birth") if isinstance(identifiers, dict) else None)


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return to_date_or_none(value)
    except (ValueError, TypeError):
        return None


def _submissions(
    session: Session, reviews: dict[uuid.UUID, _Case], rule: RetentionRule, facts: _Facts, as_of: dt.date
) -> list[DueItem]:
    """Completed agency tasks of closed reviews (not themselves due as a whole), not yet disposed."""
    if not reviews:
        return []
    tasks = session.exec(
        select(HumanTask.id, HumanTask.case_id).where(
            col(HumanTask.case_id).in_(list(reviews)),
            col(HumanTask.agency_code).is_not(None),
            HumanTask.state == "completed",
            col(HumanTask.data_disposed_at).is_(None),
        )
    ).all()
    found = []
    for task_id, case_id in tasks:
        case = reviews[case_id]
        assert case.closed_on is not None
        item = _due("agency_submission", "task", str(task_id), case, rule, facts, case.closed_on, as_of)
        if item is not None:
            found.append(item)
    return found


def _evidence(
    session: Session,
    partnership_id: uuid.UUID,
    cases: dict[uuid.UUID, _Case],
    held: set[uuid.UUID],
    rule: RetentionRule,
    facts: _Facts,
    as_of: dt.date,
) -> list[DueItem]:
    """Evidence of actions whose own case (or, without one, whose review) has closed, not yet disposed."""
    rows = session.exec(
        select(Evidence.id, Action.case_id, Action.review_case_id)
        .join(Action, col(Action.id) == col(Evidence.action_id))
        .where(Evidence.partnership_id == partnership_id, col(Evidence.disposed_at).is_(None))
    ).all()
    found = []
    for evidence_id, action_case_id, review_case_id in rows:
        governing = cases.get(action_case_id or review_case_id)
        review = cases.get(review_case_id)
        if governing is None or review is None or governing.closed_on is None or {governing.id, review.id} & held:
            continue
        # Birthdays and publication are the review's (its subject, its report); the count starts at the closure.
        item = _due("evidence_file", "evidence", str(evidence_id), review, rule, facts, governing.closed_on, as_of)
        if item is not None:
            found.append(item)
    return found


def _trainees(session: Session, partnership_id: uuid.UUID, rule: RetentionRule, as_of: dt.date) -> list[DueItem]:
    """Trainees whose latest training (or, with none, their record's creation) is older than the rule."""
    latest = dict(
        session.exec(
            select(TrainingRecord.trainee_id, func.max(TrainingRecord.completed_on))
            .where(TrainingRecord.partnership_id == partnership_id)
            .group_by(col(TrainingRecord.trainee_id))
        ).all()
    )
    # Someone nominated for an event still running (or not yet delivered) is still in the programme.
    busy = set(
        session.exec(
            select(Nomination.trainee_id)
            .join(TrainingEvent, col(TrainingEvent.id) == col(Nomination.event_id))
            .outerjoin(Case, col(Case.id) == col(TrainingEvent.case_id))
            .where(
                Nomination.partnership_id == partnership_id,
                col(Nomination.status).not_in(("refused", "withdrawn")),
                or_(col(TrainingEvent.status) != "delivered", col(Case.status) != "closed"),
            )
        ).all()
    )
    trainees = session.exec(
        select(Trainee.id, Trainee.created_at).where(
            Trainee.partnership_id == partnership_id, col(Trainee.disposed_at).is_(None)
        )
    ).all()
    found = []
    for trainee_id, created_at in trainees:
        if trainee_id in busy:
            continue
        start = latest.get(trainee_id) or created_at.astimezone(LONDON).date()
        due_on = start + relativedelta(years=rule.years)
        if due_on <= as_of:
            found.append(
                DueItem("training_record", "trainee", str(trainee_id), None, None, rule_text(rule), start, due_on)
            )
    return found


def _access_log(
    session: Session, partnership_id: uuid.UUID, held: set[uuid.UUID], rule: RetentionRule, as_of: dt.date
) -> tuple[DueItem, list[ColumnElement[bool]]] | None:
    """One item for every access-log row past its retention (rows about held cases stay)."""
    last_day = as_of - relativedelta(years=rule.years)
    cutoff = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, LONDON).astimezone(dt.UTC)
    where: list[ColumnElement[bool]] = [col(AccessEvent.partnership_id) == partnership_id, col(AccessEvent.at) < cutoff]
    if held:
        where.append(or_(col(AccessEvent.case_id).is_(None), col(AccessEvent.case_id).not_in(held)))
    low, high, count, newest = session.exec(
        select(func.min(AccessEvent.id), func.max(AccessEvent.id), func.count(), func.max(AccessEvent.at)).where(*where)
    ).one()
    if not count:
        return None
    where.append(col(AccessEvent.id) <= high)  # rows written later are never part of this item
    start = to_date(newest)
    text = f"{rule_text(rule)} ({count} rows)"
    item = DueItem(
        "access_log",
        "access_events",
        f"{low}..{high}",
        None,
        None,
        text,
        start,
        start + relativedelta(years=rule.years),
    )
    return item, where

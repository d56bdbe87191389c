"""Courses of the training programme, and the changes made to them because of learning."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from service.access.owned import owned
from service.access.principal import Principal
from service.audit.log import record
from service.db.types import utcnow
from service.errors import Conflict, InvalidInput
from service.models import Course, CourseChange, LearningItem
from service.training.access import course_by_code, require_course_manager
from service.training.vocabulary import LEVELS, is_target_group

# Fields of a course a PATCH may change (the code is its identity and never changes).
EDITABLE = (
    "title",
    "level",
    "target_groups",
    "prerequisites",
    "recommended_order",
    "learning_outcomes",
    "trainer_standards",
    "active",
)


@dataclass
class CourseChangeView:
    """A recorded change to a course, with the course it changed."""

    change: CourseChange
    course_code: str
    course_title: str


@dataclass
class CourseView:
    """A course with its recorded changes, oldest first."""

    course: Course
    changes: list[CourseChangeView]


def create_course(session: Session, principal: Principal, *, code: str, fields: dict[str, Any]) -> CourseView:
    """Add a course to the programme (business manager or partnership admin)."""
    require_course_manager(principal, "adding a course")
    exists = session.exec(
        select(Course.id).where(Course.partnership_id == principal.partnership_id, Course.code == code)
    ).first()
    if exists is not None:
        raise Conflict(f"there is already a course '{code}'")
    _check(session, principal, code, fields)
    course = Course(partnership_id=principal.partnership_id, code=code, **fields)
    session.add(course)
    session.flush()
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="course.created",
        object_type="course",
        object_id=str(course.id),
        summary=f"Course {code} '{course.title}' (level {course.level}) added",
        detail={"code": code, "level": course.level},
    )
    return CourseView(course=course, changes=[])


def list_courses(session: Session, principal: Principal, *, include_inactive: bool) -> list[CourseView]:
    """The programme, in its recommended order (anyone in the partnership)."""
    query = select(Course).where(Course.partnership_id == principal.partnership_id)
    if not include_inactive:
        query = query.where(col(Course.active).is_(True))
    courses = session.exec(query.order_by(col(Course.recommended_order), col(Course.level), col(Course.code))).all()
    return [_view(session, c) for c in courses]


def get_course(session: Session, principal: Principal, code: str) -> CourseView:
    """One course with its changes."""
    return _view(session, course_by_code(session, principal, code))


def update_course(
    session: Session,
    principal: Principal,
    code: str,
    *,
    changes: dict[str, Any],
    learning_item_id: uuid.UUID | None,
    change_summary: str | None,
) -> CourseView:
    """Change a course; a ``change_summary`` (citing a learning item if one prompted it) is recorded."""
    require_course_manager(principal, "changing a course")
    course = course_by_code(session, principal, code)
    if learning_item_id is not None and not change_summary:
        raise InvalidInput(
            "a change citing a learning item needs a summary",
            [{"field": "change_summary", "message": "say what changed because of the learning item"}],
        )
    if (
        learning_item_id is not None
        and owned(session, LearningItem, learning_item_id, principal.partnership_id) is None
    ):
        raise InvalidInput(
            "the learning item does not exist",
            [{"field": "learning_item_id", "message": f"there is no learning item {learning_item_id}"}],
        )
    _check(session, principal, code, changes)
    for name, value in changes.items():
        setattr(course, name, value)
    course.updated_at = utcnow()
    session.add(course)
    if change_summary:
        session.add(
            CourseChange(
                partnership_id=principal.partnership_id,
                course_id=course.id,
                learning_item_id=learning_item_id,
                summary=change_summary,
                changed_by_id=principal.user_id,
            )
        )
    session.flush()
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="course.updated",
        object_type="course",
        object_id=str(course.id),
        summary=f"Course {code} changed: "
        + (", ".join(sorted(changes)) or "summary only")
        + (" (citing a learning item)" if learning_item_id else ""),
        detail={"fields": sorted(changes), "learning_item_id": str(learning_item_id) if learning_item_id else None},
    )
    return _view(session, course)


def course_changes_for_learning_item(
    session: Session, principal: Principal, learning_item_id: uuid.UUID
) -> list[CourseChangeView]:
    """Course changes made because of a learning item: evidence the learning was embedded in training."""
    rows = session.exec(
        select(CourseChange, Course)
        .join(Course, col(Course.id) == col(CourseChange.course_id))
        .where(
            CourseChange.partnership_id == principal.partnership_id,
            CourseChange.learning_item_id == learning_item_id,
        )
        .order_by(col(CourseChange.changed_at), col(CourseChange.id))
    ).all()
    return [
        CourseChangeView(change=change, course_code=course.code, course_title=course.title) for change, course in rows
    ]


def _view(session: Session, course: Course) -> CourseView:
    changes = session.exec(
        select(CourseChange)
        .where(CourseChange.course_id == course.id)
        .order_by(col(CourseChange.changed_at), col(CourseChange.id))
    ).all()
    return CourseView(
        course=course,
        changes=[CourseChangeView(change=c, course_code=course.code, course_title=course.title) for c in changes],
    )


def _check(session: Session, principal: Principal, code: str, fields: dict[str, Any]) -> None:
    """Refuse unknown levels, audiences and prerequisites, every problem at once."""
    errors: list[dict[str, str]] = []
    if "level" in fields and fields["level"] not in LEVELS:
        errors.append({"field": "level", "message": "must be a level from 1 to 5"})
    for i, group in enumerate(fields.get("target_groups") or []):
        if not is_target_group(group):
            errors.append(
                {"field": f"target_groups.{i}", "message": f"'{group}' is not group_1..group_8 or 'role:<job role>'"}
            )
    prerequisites = fields.get("prerequisites") or []
    known = set(
        session.exec(
            select(Course.code).where(
                Course.partnership_id == principal.partnership_id, col(Course.code).in_(prerequisites)
            )
        ).all()
    )
    for i, prerequisite in enumerate(prerequisites):
        if prerequisite == code:
            errors.append({"field": f"prerequisites.{i}", "message": "a course cannot be its own prerequisite"})
        elif prerequisite not in known:
            errors.append({"field": f"prerequisites.{i}", "message": f"there is no course '{prerequisite}'"})
    if errors:
        raise InvalidInput("the course is not valid", errors)

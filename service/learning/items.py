"""Learning items: record one, follow it round the loop, and ask where learning is stuck."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.owned import owned_or_404
from service.access.principal import Principal
from service.actions.access import require_manager, review_case
from service.actions.themes import resolve_codes
from service.audit.log import record
from service.db.types import utcnow
from service.errors import InvalidInput, NotFound
from service.identity.directory import require_agencies
from service.learning.vocabulary import KINDS, SOURCE_TYPES, TRAINING_LEVELS
from service.models import (
    Case,
    HumanTask,
    LearningItem,
    LearningItemTheme,
    LearningStageVisit,
    Recommendation,
    Theme,
)
from service.pagination import Page, paginate
from service.taxonomy import PRINCIPLES
from service.workflow.learning_sync import LEARNING_CASE_TYPE
from service.workflow.opening import open_case

# The lifecycle's record-keeping tasks, and what each completed one tells a reader.
RECORDS = {
    "disseminations": ("Task_RecordDissemination", ("channel", "activity_date", "audience", "reach")),
    "cascades": ("Task_ConfirmCascade", ("cascaded_at", "cascade_method", "staff_reached")),
    "embedding_evidence": (
        "Task_RecordEmbedding",
        ("evidence_kind", "embedding_summary", "embedded_at", "course_code"),
    ),
    "evaluations": (
        "Task_EvaluateImpact",
        ("evaluation_method", "evaluated_at", "outcome", "evaluation_summary", "raise_action"),
    ),
}

STAGE_GROUPINGS = ("theme", "source_type")  # what the stage report can group by


@dataclass
class LearningItemView:
    """A learning item with its themes, where it is in the loop and what has been done so far."""

    item: LearningItem
    case_reference: str | None
    themes: list[str]
    days_in_stage: int
    visits: list[LearningStageVisit] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def create_learning_item(
    session: Session,
    principal: Principal,
    *,
    title: str,
    summary: str,
    kind: str,
    source_type: str,
    source_case_id: uuid.UUID | None,
    source_recommendation_id: uuid.UUID | None,
    themes: list[str],
    principles: list[str],
    audience_agencies: list[str],
    audience_roles: list[str],
    audience_levels: list[int],
    course_codes: list[str],
) -> LearningItemView:
    """Record a learning item and start its loop (the business manager plans the dissemination)."""
    require_manager(principal, "recording learning")
    _check_words(kind, source_type, principles, audience_levels)
    source_case = review_case(session, principal, source_case_id) if source_case_id else None
    if source_recommendation_id is not None:
        recommendation = owned_or_404(
            session, Recommendation, source_recommendation_id, principal.partnership_id, "recommendation"
        )
        source_case = source_case or review_case(session, principal, recommendation.case_id)
    theme_rows = resolve_codes(session, principal, themes, "themes")
    agencies = list(dict.fromkeys(audience_agencies))
    require_agencies(session, principal.partnership_id, agencies, field="audience_agencies")
    item = LearningItem(
        partnership_id=principal.partnership_id,
        title=title,
        summary=summary,
        kind=kind,
        source_type=source_type,
        source_case_id=source_case.id if source_case else None,
        source_recommendation_id=source_recommendation_id,
        principles=list(dict.fromkeys(principles)),
        audience_agencies=agencies,
        audience_roles=list(dict.fromkeys(audience_roles)),
        audience_levels=sorted(set(audience_levels)),
        course_codes=list(dict.fromkeys(course_codes)),
        cascade_requested={},
        created_by_id=principal.user_id,
    )
    session.add(item)
    session.flush()
    for theme in theme_rows:
        session.add(LearningItemTheme(learning_item_id=item.id, theme_id=theme.id))
    case, _ = open_case(
        session,
        partnership_id=principal.partnership_id,
        case_type=LEARNING_CASE_TYPE,
        title=title,
        subject_pseudonym=source_case.subject_pseudonym if source_case else "n/a",
        involved_agencies=agencies,
        data={"learning_item_id": str(item.id), "title": title, "source_type": source_type},
        actor=principal,
        opened_from=(source_case, "learning_identified") if source_case else None,
        parent_case_id=source_case.id if source_case else None,
    )
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="learning_item.created",
        object_type="learning_item",
        object_id=str(item.id),
        summary=f"Learning identified ({SOURCE_TYPES[source_type]}): {case.reference}",
    )
    return get_learning_item(session, principal, item.id)


def get_learning_item(session: Session, principal: Principal, item_id: uuid.UUID) -> LearningItemView:
    """One learning item with its stage history and the dissemination, cascade, embedding and evaluation records."""
    owned_or_404(session, LearningItem, item_id, principal.partnership_id, "learning item")
    item = session.exec(select(LearningItem).where(LearningItem.id == item_id, _visible(principal))).first()
    if item is None:
        raise NotFound(f"there is no learning item {item_id}")
    view = _view(session, item)
    view.visits = list(
        session.exec(
            select(LearningStageVisit)
            .where(LearningStageVisit.learning_item_id == item.id)
            .order_by(col(LearningStageVisit.entered_at), col(LearningStageVisit.loop))
        ).all()
    )
    view.records = {name: _answers(session, item.case_id, element, keys) for name, (element, keys) in RECORDS.items()}
    return view


def list_learning_items(
    session: Session,
    principal: Principal,
    *,
    stage: str | None,
    theme: str | None,
    source_type: str | None,
    source_case_id: uuid.UUID | None,
    open_only: bool,
    cursor: str | None,
    limit: int,
) -> Page[LearningItemView]:
    """The partnership's learning items, oldest first, with filters."""
    query = _filtered(principal, stage=stage, theme=theme, source_type=source_type, source_case_id=source_case_id)
    if open_only:
        query = query.where(col(LearningItem.closed_at).is_(None))
    page = paginate(
        session,
        query,
        created_col=col(LearningItem.created_at),
        id_col=col(LearningItem.id),
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )
    return Page(items=[_view(session, i) for i in page.items], next_cursor=page.next_cursor)


def stage_report(session: Session, principal: Principal, *, group_by: str) -> list[dict[str, Any]]:
    """Per theme or source: how many items sit in each stage, for how long, and how long stages took so far."""
    if group_by not in STAGE_GROUPINGS:
        raise InvalidInput("unknown grouping", [{"field": "group_by", "message": "use 'theme' or 'source_type'"}])
    items = session.exec(
        select(LearningItem).where(LearningItem.partnership_id == principal.partnership_id, _visible(principal))
    ).all()
    groups = _groups(session, principal, list(items), group_by)
    visits = session.exec(
        select(LearningStageVisit).where(
            LearningStageVisit.partnership_id == principal.partnership_id, col(LearningStageVisit.left_at).is_not(None)
        )
    ).all()
    now = utcnow()
    finished: dict[tuple[str, str], list[float]] = defaultdict(list)
    current: dict[tuple[str, str], list[float]] = defaultdict(list)
    for visit in visits:
        assert visit.left_at is not None
        for group in groups.get(visit.learning_item_id, []):
            finished[(group, visit.stage)].append(_days(visit.left_at - visit.entered_at))
    for item in items:
        if item.closed_at is None:
            for group in groups.get(item.id, []):
                current[(group, item.stage)].append(_days(now - item.stage_entered_at))
    keys = sorted(set(current) | set(finished))
    return [
        {
            group_by: group,
            "stage": stage,
            "open_items": len(current.get((group, stage), [])),
            "mean_days_in_stage_open": _mean(current.get((group, stage), [])),
            "longest_days_in_stage_open": max(current.get((group, stage), [0.0]))
            if current.get((group, stage))
            else None,
            "completed_stays": len(finished.get((group, stage), [])),
            "mean_days_per_completed_stay": _mean(finished.get((group, stage), [])),
        }
        for group, stage in keys
    ]


def _visible(principal: Principal) -> Any:
    # A learning item is seen by whoever sees its own case: its source review's people and the agencies it cascades
    # to (the case's involved agencies), so learning drawn from a review never reveals the review to others.
    return need_to_know.case_clause(principal, LearningItem.case_id)


def _filtered(
    principal: Principal,
    *,
    stage: str | None,
    theme: str | None,
    source_type: str | None,
    source_case_id: uuid.UUID | None,
) -> Any:
    query = select(LearningItem).where(LearningItem.partnership_id == principal.partnership_id, _visible(principal))
    if stage:
        query = query.where(LearningItem.stage == stage)
    if source_type:
        query = query.where(LearningItem.source_type == source_type)
    if source_case_id is not None:
        query = query.where(LearningItem.source_case_id == source_case_id)
    if theme:
        query = query.where(
            col(LearningItem.id).in_(
                select(LearningItemTheme.learning_item_id)
                .join(Theme, col(Theme.id) == col(LearningItemTheme.theme_id))
                .where(Theme.partnership_id == principal.partnership_id, Theme.code == theme)
            )
        )
    return query


def _groups(
    session: Session, principal: Principal, items: list[LearningItem], group_by: str
) -> dict[uuid.UUID, list[str]]:
    if group_by == "source_type":
        return {item.id: [item.source_type] for item in items}
    groups: dict[uuid.UUID, list[str]] = defaultdict(list)
    rows = session.exec(
        select(LearningItemTheme.learning_item_id, Theme.code)
        .join(Theme, col(Theme.id) == col(LearningItemTheme.theme_id))
        .where(Theme.partnership_id == principal.partnership_id)
    ).all()
    for item_id, code in rows:
        groups[item_id].append(code)
    return groups


def _view(session: Session, item: LearningItem) -> LearningItemView:
    case = session.get(Case, item.case_id) if item.case_id else None
    themes = session.exec(
        select(Theme.code)
        .join(LearningItemTheme, col(LearningItemTheme.theme_id) == col(Theme.id))
        .where(LearningItemTheme.learning_item_id == item.id)
        .order_by(col(Theme.code))
    ).all()
    end = item.closed_at or utcnow()
    return LearningItemView(
        item=item,
        case_reference=case.reference if case else None,
        themes=list(themes),
        days_in_stage=int(_days(end - item.stage_entered_at)),
    )


def _answers(
    session: Session, case_id: uuid.UUID | None, element_id: str, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    if case_id is None:
        return []
    tasks = session.exec(
        select(HumanTask)
        .where(HumanTask.case_id == case_id, HumanTask.element_id == element_id, HumanTask.state == "completed")
        .order_by(col(HumanTask.completed_at))
    ).all()
    return [{"agency": t.agency_code, **{k: t.data.get(k) for k in keys}} for t in tasks]


def _check_words(kind: str, source_type: str, principles: list[str], levels: list[int]) -> None:
    errors = []
    if kind not in KINDS:
        errors.append({"field": "kind", "message": f"use one of: {', '.join(KINDS)}"})
    if source_type not in SOURCE_TYPES:
        errors.append({"field": "source_type", "message": f"use one of: {', '.join(SOURCE_TYPES)}"})
    errors += [
        {"field": "principles", "message": f"unknown principle '{p}'"} for p in principles if p not in PRINCIPLES
    ]
    errors += [
        {"field": "audience_levels", "message": f"training levels are 1-5, not {level}"}
        for level in levels
        if level not in TRAINING_LEVELS
    ]
    if errors:
        raise InvalidInput("the learning item is not valid", errors)


def _days(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None

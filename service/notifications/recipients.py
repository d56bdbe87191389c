"""Who may be told about a task or case: people of the partnership, filtered through need-to-know.

A person is told only what they could read through the API: a task of a case they see fully, or their agency's
own task on a case that involves their agency (service/access/need_to_know.py). Partner systems' users (machine
tokens, addresses under ``.invalid``) never receive mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, bindparam, cast, event
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.policy import oversight_roles_of
from service.access.principal import Principal
from service.db.session import keep, reading, this_transaction
from service.errors import NotFound
from service.models import Agency, Case, CaseMember, HumanTask, NotificationPreference, Partnership, User
from service.notifications import preferences

MACHINE_DOMAIN = ".invalid"


_CACHE_KEY = "lif_notification_people"


# Which of the partnership's people are read: some by id, the holders of a role, or everyone (None). Each selection is
# read once per transaction; once everyone is read, any selection is cut from that. The agency is not a selection of
# its own: the agency tasks a step opens share a role, and one read of its holders serves them all.
_Selection = frozenset[uuid.UUID] | str | None


def principals(
    session: Session,
    partnership_id: uuid.UUID,
    *,
    user_ids: Iterable[uuid.UUID] | None = None,
    role: str | None = None,
    agency: str | None = None,
    members_of: Case | None = None,
) -> list[Principal]:
    """The partnership's active people as principals, for need-to-know checks: everyone, or only those among
    ``user_ids``, or only those holding ``role`` (and of ``agency``, when given). ``members_of``: the case they are
    about to be checked against; whether each is its member comes in the same query (``may_see_task`` asks).

    The database is asked only for the people who may be wanted: a partnership has hundreds, and a task is announced
    to the few who hold its role (reading every one of 414 people made opening a case 14.7 ms in-process, not 6.7).
    Read once per transaction and selection: one engine step can create many tasks, each announced to the same
    people. The rules themselves are checked here and in ``may_claim``; the query only narrows what is read.
    """
    wanted = frozenset(user_ids) if user_ids is not None else None
    selection: _Selection = wanted if wanted is not None else role
    cache: dict[tuple[uuid.UUID, _Selection], list[Principal]] = this_transaction(session).setdefault(_CACHE_KEY, {})
    found = cache.get((partnership_id, None))
    if found is None:
        if (partnership_id, selection) not in cache:
            cache[(partnership_id, selection)] = _people(session, partnership_id, selection, members_of)
        found = cache[(partnership_id, selection)]
    return [
        p
        for p in found
        if (wanted is None or p.user_id in wanted)
        and (role is None or p.has_role(role))
        and (agency is None or p.agency_code == agency)
    ]


# Built once (each step that announces a task asks; see docs/decisions.md on statements built once).
# Columns, not User objects: a principal needs only these, and building 14 objects cost more than the query.
_PEOPLE = (
    sa_select(
        col(User.id),
        col(User.email),
        col(User.name),
        col(User.roles),
        col(Agency.code),
        col(NotificationPreference.kind),
        col(NotificationPreference.delivery),
    )
    .join(Agency, col(Agency.id) == col(User.agency_id), isouter=True)
    .join(
        NotificationPreference,
        (col(NotificationPreference.user_id) == col(User.id))
        & (col(NotificationPreference.partnership_id) == bindparam("partnership_id")),
        isouter=True,
    )
    .where(col(User.partnership_id) == bindparam("partnership_id"), col(User.active).is_(True))
    .order_by(col(User.email))
)
_PEOPLE_AMONG = _PEOPLE.where(col(User.id).in_(bindparam("user_ids", expanding=True)))
# Roles are a JSON list, whose text holds each role in double quotes on SQLite and PostgreSQL alike. A LIKE on that
# text may keep a person too many (``principals`` then checks the role exactly), never one too few.
_PEOPLE_HOLDING = _PEOPLE.where(cast(col(User.roles), String).like(bindparam("quoted_role"), escape="\\"))
# The same, with whether each person is a member of one case (``case_id``): the step announcing a task checks the
# people it read against its case, and reading the case's members was a round trip of its own.
_IS_MEMBER = (
    sa_select(col(CaseMember.id))
    .where(col(CaseMember.case_id) == bindparam("case_id"), col(CaseMember.user_id) == col(User.id))
    .exists()
)
_WITH_MEMBERSHIP = {
    statement: statement.add_columns(_IS_MEMBER) for statement in (_PEOPLE, _PEOPLE_AMONG, _PEOPLE_HOLDING)
}


def _like_quoted(role: str) -> str:
    """A LIKE pattern matching ``"role"`` anywhere, its wildcards escaped."""
    return '%"' + role.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'


def _people(
    session: Session, partnership_id: uuid.UUID, selection: _Selection, members_of: Case | None
) -> list[Principal]:
    """The active people wanted, with their notification choices in the same query (a row per person and choice):
    the notices about to be recorded need both, and each was a round trip of its own. With ``members_of`` (and no
    membership change waiting to be written, which the query could not see), whether each is its member too."""
    partnership = session.get(Partnership, partnership_id)
    assert partnership is not None
    oversight = oversight_roles_of(keep(session, partnership).data_protection)
    statement = _PEOPLE
    params: dict[str, Any] = {"partnership_id": partnership_id}
    if isinstance(selection, frozenset):
        statement, params = _PEOPLE_AMONG, {**params, "user_ids": sorted(selection)}
    elif selection is not None:
        statement, params = _PEOPLE_HOLDING, {**params, "quoted_role": _like_quoted(selection)}
    if members_of is not None and _membership_pending(session):
        members_of = None
    if members_of is not None:
        statement, params = _WITH_MEMBERSHIP[statement], {**params, "case_id": members_of.id}
    people: dict[uuid.UUID, Principal] = {}
    choices: list[tuple[uuid.UUID, str, str]] = []
    membership: dict[uuid.UUID, bool] = {}
    with reading(session, User, Agency, NotificationPreference):
        rows = session.execute(statement, params).all()
    for user_id, email, name, roles, code, kind, delivery, *member in rows:
        if kind is not None:
            choices.append((user_id, kind, delivery))
        if member:
            membership[user_id] = bool(member[0])
        if user_id in people or email.endswith(MACHINE_DOMAIN):
            continue
        people[user_id] = Principal(
            user_id=user_id,
            partnership_id=partnership_id,
            name=name,
            roles=frozenset(roles),
            agency_code=code,
            oversight=bool(set(roles) & oversight),
        )
    # The choices of the people read are now known; not everyone's: a deactivated person is not read, yet may be asked
    # about (tests/integration/test_notice_choices.py).
    preferences.remember(session, partnership_id, {row[0] for row in rows}, choices)
    if members_of is not None:
        known: dict[uuid.UUID, dict[uuid.UUID, bool]] = this_transaction(session).setdefault(_MEMBERSHIP_KEY, {})
        known.setdefault(members_of.id, {}).update(membership)
    return list(people.values())


def _membership_pending(session: OrmSession) -> bool:
    """A membership added, changed or removed in the session and not yet written."""
    return any(isinstance(obj, CaseMember) for obj in (*session.new, *session.dirty, *session.deleted))


def visible_task(session: Session, principal: Principal, task_id: uuid.UUID) -> HumanTask:
    """A task the caller may see (the same rule as listing tasks), or 404."""
    task = session.exec(
        select(HumanTask).where(
            HumanTask.id == task_id,
            HumanTask.partnership_id == principal.partnership_id,
            need_to_know.task_clause(principal),
        )
    ).first()
    if task is None:
        raise NotFound(f"there is no task {task_id}")
    return task


_MEMBERS_KEY = "lif_notification_case_members"
_MEMBERSHIP_KEY = "lif_notification_known_membership"  # case id -> person -> member, as the people's read found
_MEMBERS = select(CaseMember.user_id).where(CaseMember.case_id == bindparam("case_id"))


def case_member_ids(session: Session, case: Case) -> frozenset[uuid.UUID]:
    """The case's members, read once per transaction for all the people and tasks one step announces."""
    cache: dict[uuid.UUID, frozenset[uuid.UUID]] = this_transaction(session).setdefault(_MEMBERS_KEY, {})
    if case.id not in cache:
        with reading(session, CaseMember):
            cache[case.id] = frozenset(session.exec(_MEMBERS, params={"case_id": case.id}))
    return cache[case.id]


def is_case_member(session: Session, case: Case, user_id: uuid.UUID) -> bool:
    """Whether ``user_id`` is a member of ``case``: as the read of the people found it, else from the members."""
    found = this_transaction(session).get(_MEMBERSHIP_KEY, {}).get(case.id, {}).get(user_id)
    return found if found is not None else user_id in case_member_ids(session, case)


@event.listens_for(OrmSession, "before_flush")
def _forget_members_on_change(session: OrmSession, _context: Any, _instances: Any) -> None:
    # Any membership added, changed or removed in the transaction: read the members afresh next time.
    memo = this_transaction(session)
    if (_MEMBERS_KEY in memo or _MEMBERSHIP_KEY in memo) and _membership_pending(session):
        memo.pop(_MEMBERS_KEY, None)
        memo.pop(_MEMBERSHIP_KEY, None)


def may_see_task(session: Session, principal: Principal, task: HumanTask, case: Case) -> bool:
    """The same rule as listing tasks: the case seen fully, or the agency's own task on an involved case."""
    seen = need_to_know.level(
        session, principal, case, is_member=lambda: is_case_member(session, case, principal.user_id)
    )
    return seen is need_to_know.Level.FULL or (
        seen is need_to_know.Level.AGENCY and task.agency_code is not None and task.agency_code == principal.agency_code
    )


def may_claim(principal: Principal, task: HumanTask) -> bool:
    """Holds the task's role and belongs to its agency (when it has one)."""
    return (task.role is None or principal.has_role(task.role)) and (
        task.agency_code is None or task.agency_code == principal.agency_code
    )


def claimers(session: Session, task: HumanTask, case: Case) -> list[Principal]:
    """Who may claim ``task`` and may see it; a task without a role is announced to nobody (only its assignee)."""
    if task.role is None:
        return []
    return [
        p
        for p in principals(session, task.partnership_id, role=task.role, agency=task.agency_code, members_of=case)
        if may_claim(p, task) and may_see_task(session, p, task, case)
    ]


def responsible(session: Session, task: HumanTask, case: Case) -> list[Principal]:
    """The assignee of a claimed task (if they still see it), otherwise everyone who may claim it."""
    if task.assignee_id is not None:
        found = principals(session, task.partnership_id, user_ids=[task.assignee_id], members_of=case)
        return [p for p in found if may_see_task(session, p, task, case)]
    return claimers(session, task, case)


def meeting_attendees(session: Session, task: HumanTask, case: Case) -> list[Principal]:
    """The case's members and the safeguarding leads of its involved agencies (each seeing the case)."""
    members = set(session.exec(select(CaseMember.user_id).where(CaseMember.case_id == case.id)).all())
    people = principals(session, task.partnership_id)
    return [
        p
        for p in people
        if (
            p.user_id in members or (p.agency_code in case.involved_agencies and p.has_role("agency_safeguarding_lead"))
        )
        and need_to_know.level(session, p, case) is not need_to_know.Level.NONE
    ]

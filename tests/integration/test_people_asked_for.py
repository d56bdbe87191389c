"""A step reads only the people it asks for (service/notifications/recipients.py): those holding the task's role, or
some by id; never the whole partnership to keep a few. What each selection gives is what cutting it from everyone
gives."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from service.access.principal import Principal
from service.access.roles import ALL_ROLES
from service.db.session import open_session, unit_of_work
from service.identity.tokens import authenticate
from service.models import Agency, User
from service.notifications import recipients
from tests.helpers import sql_statements


def _partnership(db_url: str, token: str) -> uuid.UUID:
    with unit_of_work(url=db_url) as session:
        return authenticate(session, token).partnership_id


def _fresh(db_url: str, pid: uuid.UUID, **selection: object) -> list[Principal]:
    # A transaction of its own: no selection read before it (everyone above all) can answer for it.
    with unit_of_work(write=False, url=db_url) as session:
        return recipients.principals(session, pid, **selection)  # type: ignore[arg-type]


@pytest.fixture
def crowded(db_url: str, tokens: dict[str, str]) -> uuid.UUID:
    """The demo partnership with 60 more people, in every role and agency, some deactivated, and some holding a
    name a careless pattern would take for another role (``partnership_chair`` inside ``vice_partnership_chair``)."""
    pid = _partnership(db_url, tokens["business_manager"])
    with unit_of_work(url=db_url) as session:
        agencies = [None, *session.exec(select(Agency.id).where(Agency.partnership_id == pid)).all()]
        roles = sorted(ALL_ROLES)
        for n in range(60):
            held = [roles[n % len(roles)], *(["vice_partnership_chair"] if n % 7 == 0 else [])]
            session.add(
                User(
                    partnership_id=pid,
                    email=f"person{n}@example.org",
                    name=f"Person {n}",
                    roles=held,
                    agency_id=agencies[n % len(agencies)],
                    active=n % 11 != 0,
                )
            )
    return pid


def _ids(people: list[Principal]) -> set[uuid.UUID]:
    return {p.user_id for p in people}


def test_each_selection_gives_what_cutting_it_from_everyone_gives(db_url: str, crowded: uuid.UUID) -> None:
    everyone = _fresh(db_url, crowded)
    assert len(everyone) > 60
    codes = sorted({p.agency_code for p in everyone if p.agency_code})
    for role in sorted(ALL_ROLES):
        for agency in [None, *codes]:
            expected = {p.user_id for p in everyone if p.has_role(role) and agency in (None, p.agency_code)}
            assert _ids(_fresh(db_url, crowded, role=role, agency=agency)) == expected, (role, agency)
    some = [p.user_id for p in everyone[::5]] + [uuid.uuid4()]
    assert _ids(_fresh(db_url, crowded, user_ids=some)) == set(some[:-1])


def test_a_role_is_read_for_its_holders_alone(db_url: str, crowded: uuid.UUID) -> None:
    with sql_statements(db_url) as statements:
        chairs = _fresh(db_url, crowded, role="partnership_chair")
    people = [s for s in statements if "FROM app_user" in s.replace('"', "")]
    assert len(people) == 1 and " LIKE " in people[0].upper()
    assert chairs and all(p.has_role("partnership_chair") for p in chairs)
    # Reading everyone first, the transaction cuts the selection from what it read, and asks nothing more.
    session = open_session(write=False, url=db_url)
    try:
        everyone = recipients.principals(session, crowded)
        with sql_statements(db_url) as statements:
            again = recipients.principals(session, crowded, role="partnership_chair")
        assert statements == []
        assert _ids(again) == _ids(chairs) == {p.user_id for p in everyone if p.has_role("partnership_chair")}
    finally:
        session.rollback()
        session.close()


def test_the_agency_tasks_of_one_step_share_one_read_of_their_role(db_url: str, crowded: uuid.UUID) -> None:
    session = open_session(write=False, url=db_url)
    try:
        with sql_statements(db_url) as statements:
            leads = {
                code: recipients.principals(session, crowded, role="agency_safeguarding_lead", agency=code)
                for code in ("police", "health", "la")
            }
        assert len([s for s in statements if "FROM app_user" in s.replace('"', "")]) == 1
        assert all(leads.values())
        assert all(p.agency_code == code for code, people in leads.items() for p in people)
    finally:
        session.rollback()
        session.close()

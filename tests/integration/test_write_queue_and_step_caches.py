"""SQLite's in-process writer queue always lets the next writer in; the per-step notification caches see changes."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from service.access.policy import CaseRole
from service.db.engine import get_engine, write_engine
from service.db.session import unit_of_work
from service.models import Case, CaseMember, User
from service.notifications import recipients
from tests.conftest import Api
from tests.helpers import sql_statements


def _writes_within(db_url: str, seconds: float) -> bool:
    """True when another thread can begin, write and commit (it would wait 30 s on a lock left held)."""
    done = threading.Event()

    def write() -> None:
        with write_engine(db_url).begin() as connection:
            connection.execute(text("UPDATE counter SET n = n"))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done.wait(seconds)


def test_every_way_a_sqlite_write_transaction_ends_lets_the_next_writer_in(tmp_path: Path) -> None:
    # The queue is SQLite's: its own file, in both database passes, rather than a skip on PostgreSQL.
    db_url = f"sqlite:///{tmp_path / 'queue.db'}"
    engine = write_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    with engine.connect() as connection:  # rolled back, the connection still in hand
        connection.execute(text("UPDATE counter SET n = n"))
        connection.rollback()
        assert _writes_within(db_url, 10)
    with engine.connect() as connection:  # committed, the connection still in hand
        connection.execute(text("UPDATE counter SET n = n"))
        connection.commit()
        assert _writes_within(db_url, 10)
    with engine.connect() as connection:  # closed mid-transaction
        connection.execute(text("UPDATE counter SET n = n"))
    assert _writes_within(db_url, 10)
    with pytest.raises(RuntimeError), engine.begin() as connection:  # failed in the middle
        connection.execute(text("UPDATE counter SET n = n"))
        raise RuntimeError("boom")
    assert _writes_within(db_url, 10)
    get_engine(db_url).dispose()


def test_concurrent_sqlite_writers_all_commit(db_url: str, tokens: dict[str, str]) -> None:
    # ``tokens`` seeds the demo partnership: the row the writers update.
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for _ in range(10):
                with write_engine(db_url).begin() as connection:
                    connection.execute(text("UPDATE partnership SET next_case_number = next_case_number + 1"))
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    with unit_of_work(write=False, url=db_url) as session:
        before = session.execute(text("SELECT sum(next_case_number) FROM partnership")).scalar_one()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with unit_of_work(write=False, url=db_url) as session:
        after = session.execute(text("SELECT sum(next_case_number) FROM partnership")).scalar_one()
        partnerships = session.execute(text("SELECT count(*) FROM partnership")).scalar_one()
    assert after - before == 40 * partnerships  # no update lost, none refused


def _open_case(api: Api) -> uuid.UUID:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={"case_type": "timer_probe", "title": "members", "subject_pseudonym": "n/a", "data": {}},
    )
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


def test_a_member_added_in_the_step_is_seen_by_its_notifications(api: Api, db_url: str) -> None:
    case_id = _open_case(api)
    with unit_of_work(url=db_url) as session:
        case = session.get(Case, case_id)
        assert case is not None
        before = recipients.case_member_ids(session, case)
        newcomer = session.exec(
            select(User).where(User.partnership_id == case.partnership_id, col(User.id).not_in(before))
        ).first()
        assert newcomer is not None
        session.add(
            CaseMember(
                partnership_id=case.partnership_id,
                case_id=case.id,
                user_id=newcomer.id,
                case_role=CaseRole.PANEL_MEMBER,
            )
        )
        session.flush()
        assert recipients.case_member_ids(session, case) == before | {newcomer.id}
        session.rollback()


def test_the_people_read_for_a_case_says_who_is_its_member_and_sees_a_member_added_later(api: Api, db_url: str) -> None:
    case_id = _open_case(api)
    with unit_of_work(url=db_url) as session:
        case = session.get(Case, case_id)
        assert case is not None
        with sql_statements(db_url) as statements:
            people = recipients.principals(session, case.partnership_id, members_of=case)
            said = {p.user_id: recipients.is_case_member(session, case, p.user_id) for p in people}
        assert [s for s in statements if "FROM case_member" in s and "EXISTS" not in s] == []
        members = set(session.exec(select(CaseMember.user_id).where(CaseMember.case_id == case.id)).all())
        assert members  # the business manager who opened it
        assert {user for user, member in said.items() if member} == members & set(said)
        newcomer = next(user for user, member in said.items() if not member)
        session.add(
            CaseMember(
                partnership_id=case.partnership_id,
                case_id=case.id,
                user_id=newcomer,
                case_role=CaseRole.PANEL_MEMBER,
            )
        )
        session.flush()
        assert recipients.is_case_member(session, case, newcomer)
        session.rollback()

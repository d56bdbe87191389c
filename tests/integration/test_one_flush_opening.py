"""Opening a case writes once, at the commit: the case with its first stages, its people, its instance, its tasks,
their timers and notices, each table's rows in one INSERT, parents before children (service/models orders them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from service.db.session import get_pending_too, unit_of_work
from service.demo import DEMO_KEY
from service.engine.functions import today
from service.models import Case, Partnership, Recommendation
from tests.conftest import Api
from tests.helpers import open_case, sql_statements


@contextmanager
def _flushes() -> Iterator[list[int]]:
    """How many rows each ORM flush inside the block wrote (flushes with nothing to write are not counted)."""
    seen: list[int] = []

    def count(session: OrmSession, *_context: Any) -> None:
        seen.append(len(session.new) + len(session.dirty) + len(session.deleted))

    event.listen(OrmSession, "before_flush", count)
    try:
        yield seen
    finally:
        event.remove(OrmSession, "before_flush", count)


def test_a_case_opening_writes_once_with_its_stages_in_the_insert(api: Api, db_url: str) -> None:
    with sql_statements(db_url) as statements, _flushes() as flushes:
        case = open_case(api, aware_at=today())
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert [s for s in writes if "case_record" in s.split("(")[0] and s.lstrip().upper().startswith("UPDATE")] == []
    assert len([n for n in flushes if n]) == 1, f"the opening flushed {len(flushes)} times"
    tables = [s.split()[2] for s in writes if s.lstrip().upper().startswith("INSERT")]
    # Parents first, whatever the tables' names (the unit of work's fallback order is by class name).
    assert tables.index("case_record") < tables.index("process_instance") < tables.index("human_task")
    assert tables.index("human_task") < tables.index("notification")
    assert len(tables) == len(set(tables)), f"a table's rows went out in more than one INSERT: {tables}"
    assert case["stages"], "the case was written without its first stage"


def _probe_case(session: Session, **fields: Any) -> Case:
    partnership_id = session.exec(select(Partnership.id).where(Partnership.key == DEMO_KEY)).one()
    case = Case(partnership_id=partnership_id, case_type="cspr", title="Probe", subject_pseudonym="Child P", **fields)
    return case


def test_a_child_added_before_its_parent_is_written_after_it(db_url: str, tokens: dict[str, str]) -> None:
    # A recommendation's class sorts before the case's (action_plan < case): without the ordering relationship,
    # the foreign key (enforced on both databases) would refuse this flush.
    with unit_of_work(url=db_url) as session:
        case = _probe_case(session, reference="ORDER-1", record={})
        session.add(
            Recommendation(partnership_id=case.partnership_id, case_id=case.id, number=1, finding="f", text="t")
        )
        session.add(case)
        session.flush()
        assert session.exec(select(col(Recommendation.case_id)).where(Recommendation.case_id == case.id)).one()
        session.rollback()


def test_a_pending_row_is_found_without_a_flush(db_url: str, tokens: dict[str, str]) -> None:
    with unit_of_work(url=db_url) as session:
        case = _probe_case(session, reference="PENDING-1", record={})
        session.add(case)
        with sql_statements(db_url) as statements:
            assert get_pending_too(session, Case, case.id) is case
        assert statements == [] and case in session.new
        session.rollback()

"""reading(): a query of some models sees what is pending of those models, and leaves everything else pending."""

from __future__ import annotations

from sqlmodel import col, select

from service.db.session import reading, unit_of_work
from service.demo import DEMO_KEY
from service.models import Agency, Partnership, User


def _partnership_id(db_url: str) -> object:
    with unit_of_work(write=False, url=db_url) as session:
        return session.exec(select(Partnership.id).where(Partnership.key == DEMO_KEY)).one()


def test_a_pending_row_of_a_model_read_is_written_first_and_seen(db_url: str, tokens: dict[str, str]) -> None:
    partnership_id = _partnership_id(db_url)
    with unit_of_work(url=db_url) as session:
        session.add(Agency(partnership_id=partnership_id, code="reading_probe", name="Probation", kind="reading_probe"))
        with reading(session, Agency):
            codes = session.exec(select(Agency.code).where(Agency.partnership_id == partnership_id)).all()
        assert "reading_probe" in codes
        session.rollback()


def test_pending_rows_of_other_models_stay_pending(db_url: str, tokens: dict[str, str]) -> None:
    partnership_id = _partnership_id(db_url)
    with unit_of_work(url=db_url) as session:
        agency = Agency(partnership_id=partnership_id, code="reading_probe", name="Probation", kind="reading_probe")
        session.add(agency)
        with reading(session, User):
            people = session.exec(select(User.id).where(col(User.partnership_id) == partnership_id)).all()
        assert people, "the demo partnership has people"
        assert agency in session.new, "the agency was flushed though the query read only people"
        # Outside the block autoflush is back: the next query of agencies writes it first.
        assert "reading_probe" in session.exec(select(Agency.code).where(Agency.partnership_id == partnership_id)).all()
        session.rollback()

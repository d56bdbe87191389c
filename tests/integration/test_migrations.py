"""The schema comes only from Alembic, matches the models exactly, and the audit log is append-only."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel

import service.models  # noqa: F401
from service.audit.log import record
from service.db.engine import get_engine
from service.db.session import unit_of_work


def test_migrations_match_the_models(db_url: str) -> None:
    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_workflow_state_is_stored_as_order_preserving_json(db_url: str) -> None:
    with get_engine(db_url).connect() as connection:
        if connection.dialect.name == "postgresql":
            kind = connection.execute(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'process_instance' AND column_name = 'state'"
                )
            ).scalar_one()
            assert kind == "json"  # not jsonb, which reorders keys: see OrderedJsonDocument
        else:
            columns = {row[1]: row[2] for row in connection.execute(text("PRAGMA table_info(process_instance)"))}
            assert columns["state"] == "JSON"  # SQLite keeps JSON as text, in order


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET summary = 'edited'", "DELETE FROM audit_event"])
def test_the_audit_log_refuses_updates_and_deletes(db_url: str, statement: str) -> None:
    with unit_of_work(url=db_url) as session:
        record(
            session,
            partnership_id=None,
            actor=None,
            action="test.event",
            object_type="test",
            object_id=str(uuid.uuid4()),
            summary="original",
        )
    with pytest.raises(DatabaseError, match="append-only"), unit_of_work(url=db_url) as session:
        session.execute(text(statement))
    with unit_of_work(write=False, url=db_url) as session:
        assert session.execute(text("SELECT summary FROM audit_event")).scalars().all() == ["original"]

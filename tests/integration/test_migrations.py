"""The schema comes only from Alembic, matches the models exactly, and the audit, access and disposal logs are
append-only (the access log gives way only to a disposal run's permit)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel, col, select

import service.models  # noqa: F401
from service.audit.log import record
from service.config import REPO_ROOT
from service.db.engine import get_engine
from service.db.session import unit_of_work
from service.engine.functions import today
from service.models import AccessEvent, DisposalEntry, DisposalPermit, HumanTask
from tests.conftest import Api
from tests.helpers import open_case


def test_migrations_match_the_models(db_url: str) -> None:
    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


PARTIAL = {"sqlite_where", "postgresql_where"}


def test_no_index_repeats_the_leading_columns_of_another(db_url: str) -> None:
    """An index whose columns lead another index (or the key, or a unique constraint) of its table serves no lookup
    the longer one does not, and costs every write: migration 0020 dropped 26 such or unused indexes."""
    inspector = inspect(get_engine(db_url))
    redundant = []
    for table in inspector.get_table_names():
        keys = [tuple(inspector.get_pk_constraint(table)["constrained_columns"])]
        keys += [tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)]
        # A partial index covers only some rows: it leads nothing and nothing leads it.
        indexes = [ix for ix in inspector.get_indexes(table) if not set(ix.get("dialect_options", {})) & PARTIAL]
        keys += [tuple(ix["column_names"]) for ix in indexes if ix["unique"]]
        for index in indexes:
            columns = tuple(index["column_names"])
            if index["unique"]:
                continue
            others = keys + [tuple(ix["column_names"]) for ix in indexes if ix is not index]
            if any(other[: len(columns)] == columns for other in others):
                redundant.append(f"{table}.{index['name']} {columns}")
    assert redundant == []


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


def _disposal_entry(db_url: str) -> None:
    with unit_of_work(url=db_url) as session:
        session.add(
            DisposalEntry(
                partnership_id=uuid.uuid4(),
                run_id=uuid.uuid4(),
                record_class="access_log",
                object_type="access_events",
                object_id="1..1",
                rule="6 years after recorded",
                due_on=dt.date(2032, 1, 1),
            )
        )


def _access_event(db_url: str) -> None:
    with unit_of_work(url=db_url) as session:
        session.add(
            AccessEvent(
                partnership_id=uuid.uuid4(), actor_label="someone", kind="case.read", object_type="case", object_id="x"
            )
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_event SET kind = 'edited'",
        "DELETE FROM access_event",
        "UPDATE disposal_log SET rule = 'x'",
        "DELETE FROM disposal_log",
    ],
)
def test_the_access_and_disposal_logs_refuse_updates_and_deletes(db_url: str, statement: str) -> None:
    _access_event(db_url)
    _disposal_entry(db_url)
    with pytest.raises(DatabaseError, match="append-only"), unit_of_work(url=db_url) as session:
        session.execute(text(statement))
    with unit_of_work(write=False, url=db_url) as session:
        assert session.execute(text("SELECT kind FROM access_event")).scalars().all() == ["case.read"]
        assert session.execute(text("SELECT rule FROM disposal_log")).scalars().all() == ["6 years after recorded"]


def test_a_disposal_permit_lets_an_access_log_delete_through_inside_its_own_transaction_only(db_url: str) -> None:
    _access_event(db_url)
    _disposal_entry(db_url)
    with pytest.raises(DatabaseError, match="append-only"), unit_of_work(url=db_url) as session:
        session.add(DisposalPermit(run_id=uuid.uuid4()))
        session.flush()
        session.execute(text("UPDATE access_event SET kind = 'edited'"))  # UPDATE: never, permit or not
    with pytest.raises(DatabaseError, match="append-only"), unit_of_work(url=db_url) as session:
        session.add(DisposalPermit(run_id=uuid.uuid4()))
        session.flush()
        session.execute(text("DELETE FROM disposal_log"))  # the disposal log itself: never
    with unit_of_work(url=db_url) as session:
        session.add(DisposalPermit(run_id=uuid.uuid4()))
        session.flush()
        assert session.execute(text("DELETE FROM access_event")).rowcount == 1  # type: ignore[attr-defined]
        session.execute(text("DELETE FROM disposal_permit"))
    _access_event(db_url)
    with pytest.raises(DatabaseError, match="append-only"), unit_of_work(url=db_url) as session:
        session.execute(text("DELETE FROM access_event"))  # the permit went with its transaction


def test_sqlite_commits_are_durable_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """synchronous=FULL unless a deployment chooses NORMAL: in WAL mode NORMAL may lose acknowledged commits.

    A SQLite setting, checked on SQLite files of its own, so it runs in the PostgreSQL pass of the suite too."""
    from service.config import get_settings

    durable = f"sqlite:///{tmp_path / 'durable.db'}"
    with get_engine(durable).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    get_engine(durable).dispose()
    monkeypatch.setenv("LIF_SQLITE_SYNCHRONOUS", "NORMAL")
    get_settings.cache_clear()
    faster = f"sqlite:///{tmp_path / 'normal.db'}"  # a separate engine, configured afresh
    with get_engine(faster).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    get_engine(faster).dispose()


def test_0018_fills_in_what_each_task_checks_from_its_own_definition(api: Api, db_url: str) -> None:
    """Rows projected before 0018 learn from their definition's XML which task they check; the others stay null."""
    case = open_case(api, aware_at=today())  # a CSPR: Task_CheckRedaction checks Task_PrepareRedactedReport
    with unit_of_work(url=db_url) as session:
        first = session.exec(select(HumanTask).where(HumanTask.case_id == uuid.UUID(case["id"]))).first()
        assert first is not None and first.checks_work_of is None
        # As an older projection left it: a check of this instance whose row does not say what it checks.
        probe = HumanTask(
            partnership_id=first.partnership_id,
            instance_id=first.instance_id,
            case_id=first.case_id,
            engine_task_id="probe",
            element_id="Task_CheckRedaction",
            name="Check the redacted report",
            state="cancelled",
            data={},
        )
        session.add(probe)
        ids = (first.id, probe.id)
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["database_url"] = db_url
    config.attributes["configure_logging"] = False
    command.downgrade(config, "0017")
    try:
        with get_engine(db_url).connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("human_task")}
        assert "checks_work_of" not in columns
    finally:
        command.upgrade(config, "head")
    with unit_of_work(url=db_url) as session:
        found = {t.id: t.checks_work_of for t in session.exec(select(HumanTask).where(col(HumanTask.id).in_(ids)))}
    assert found == {ids[0]: None, ids[1]: "Task_PrepareRedactedReport"}

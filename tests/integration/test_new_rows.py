"""A row made by new_row is the row its model's constructor makes: the same values and defaults, the same fields
marked as set, written the same way, and an ordinary row once made (a later change is written too)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlmodel import SQLModel, select

from service.db.rows import new_row
from service.db.session import unit_of_work
from service.db.types import utcnow
from service.engine.functions import today
from service.models import Case, HumanTask, Notification, ProcessInstance, Timer, User
from tests.conftest import Api
from tests.helpers import open_case

_GENERATED = {"id", "created_at"}  # made afresh by their default factories, so different in every row
_UNIQUE = {HumanTask: "engine_task_id", Timer: "engine_task_id", Notification: "idempotency_key"}


def _values(row: SQLModel) -> dict[str, Any]:
    return {k: v for k, v in row.__dict__.items() if not k.startswith("_sa_") and k not in _GENERATED}


def _parents(api: Api, db_url: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    case_id = uuid.UUID(open_case(api, aware_at=today())["id"])
    with unit_of_work(write=False, url=db_url) as session:
        case = session.get(Case, case_id)
        instance = session.exec(select(ProcessInstance).where(ProcessInstance.case_id == case_id)).first()
        assert case is not None and instance is not None
        return case.partnership_id, case.id, instance.id


def _shapes(partnership_id: uuid.UUID, case_id: uuid.UUID, instance_id: uuid.UUID) -> list[tuple[type, dict[str, Any]]]:
    due = utcnow() + dt.timedelta(days=3)
    return [
        (
            HumanTask,
            {
                "partnership_id": partnership_id,
                "instance_id": instance_id,
                "case_id": case_id,
                "engine_task_id": str(uuid.uuid4()),
                "element_id": "Task_Probe",
                "name": "Probe",
                "role": "business_manager",
                "agency_code": None,
                "due_at": due,
                "data": {"nested": [1, {"a": None}]},
                "messages": [{"level": "info", "text": "x"}],
            },
        ),
        (
            Timer,
            {
                "partnership_id": partnership_id,
                "instance_id": instance_id,
                "engine_task_id": str(uuid.uuid4()),
                "element_id": "Timer_Probe",
                "name": "Probe",
                "due_at": due,
            },
        ),
        (
            Notification,
            {
                "partnership_id": partnership_id,
                "recipient_id": None,
                "kind": "task_assigned",
                "case_id": case_id,
                "idempotency_key": str(uuid.uuid4()),
                "message_id": f"<{uuid.uuid4()}@probe>",
                "status": "off",
                "facts": {"case": "probe"},
            },
        ),
    ]


def test_new_rows_hold_what_the_constructor_gives_and_are_written_alike(api: Api, db_url: str) -> None:
    parents = _parents(api, db_url)
    for model, values in _shapes(*parents):
        made, fast = model(**dict(values)), new_row(model, **dict(values))
        assert _values(fast) == _values(made), model.__name__
        assert fast.__pydantic_fields_set__ == made.__pydantic_fields_set__
        assert fast.__pydantic_extra__ == made.__pydantic_extra__ and fast.__pydantic_private__ is None
        assert inspect(fast).transient and {"id", "created_at"} <= fast.__dict__.keys()
        if isinstance(fast, Notification):
            fast.recipient_id = made.recipient_id = _someone(db_url, parents[0])
        unique = _UNIQUE[model]
        setattr(fast, unique, str(uuid.uuid4()))  # the two rows may not share it
        with unit_of_work(url=db_url) as session:
            session.add(made)
            session.add(fast)
            made_id, fast_id = made.id, fast.id
        with unit_of_work(write=False, url=db_url) as session:
            stored_made, stored_fast = session.get(model, made_id), session.get(model, fast_id)
            assert stored_made is not None and stored_fast is not None
            expected = _values(stored_made) | {unique: getattr(stored_fast, unique)}
            assert _values(stored_fast) == expected, model.__name__


def test_a_change_to_a_new_row_before_its_flush_is_written(api: Api, db_url: str) -> None:
    model, values = _shapes(*_parents(api, db_url))[0]
    row = new_row(model, **values)
    row.name = "Renamed before the flush"
    with unit_of_work(url=db_url) as session:
        session.add(row)
        row_id = row.id
    with unit_of_work(url=db_url) as session:
        stored = session.get(HumanTask, row_id)
        assert stored is not None and stored.name == "Renamed before the flush"
        stored.name = "Renamed after"
    with unit_of_work(write=False, url=db_url) as session:
        again = session.get(HumanTask, row_id)
        assert again is not None and again.name == "Renamed after"


def test_a_name_that_is_not_a_field_is_refused() -> None:
    with pytest.raises(TypeError, match="has no field nmae"):
        new_row(Timer, nmae="typo")


def _someone(db_url: str, partnership_id: uuid.UUID) -> uuid.UUID:
    with unit_of_work(write=False, url=db_url) as session:
        user = session.exec(select(User).where(User.partnership_id == partnership_id)).first()
        assert user is not None
        return user.id


def test_every_table_gets_the_same_defaults_from_new_row_as_from_its_constructor() -> None:
    models = sorted((m.class_ for m in SQLModel._sa_registry.mappers), key=lambda m: m.__name__)
    assert len(models) > 20
    for model in models:
        made, fast = model(), new_row(model)
        assert fast.__dict__.keys() == made.__dict__.keys(), model.__name__
        assert fast.__pydantic_fields_set__ == made.__pydantic_fields_set__ == set()
        for name, field in model.model_fields.items():
            if field.default_factory is None and name in made.__dict__:
                assert getattr(fast, name) == getattr(made, name), f"{model.__name__}.{name}"

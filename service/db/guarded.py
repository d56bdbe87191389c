"""Optimistic writes: change a row only if it still has the version it was read at."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel


def update_if_unchanged(session: Session, row: SQLModel, values: dict[str, Any]) -> bool:
    """One ``UPDATE ... WHERE id = :id AND version = :read``; False (and nothing written) if another request got
    there first. On success ``row`` holds ``values`` as committed state: there is no need to read it back."""
    model = type(row)
    table: Any = model.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(model)
        .where(table.c.id == row.id, table.c.version == row.version)  # type: ignore[attr-defined]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True

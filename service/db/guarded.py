"""Optimistic writes: change a row only if it still has the version it was read at."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Update
from sqlmodel import Session, SQLModel

# Bound-parameter names of the guard; the SET values are bound as ``set_<column>`` (a bound parameter may not
# carry the name of a column the statement sets).
_ID, _READ = "guard_id", "guard_version"


@lru_cache(maxsize=64)
def _guarded_update(table: Table, columns: tuple[str, ...]) -> Update:
    # Built once per table and set of columns (a handful: what a step stores, what completing a task changes):
    # building the statement and its cache key cost about as much as running it (docs/decisions.md).
    return (
        update(table)
        .where(table.c.id == bindparam(_ID), table.c.version == bindparam(_READ))
        .values({name: bindparam(f"set_{name}") for name in columns})
    )


def update_if_unchanged(session: Session, row: SQLModel, values: dict[str, Any]) -> bool:
    """One ``UPDATE ... WHERE id = :id AND version = :read``; False (and nothing written) if another request got
    there first. On success ``row`` holds ``values`` as committed state: there is no need to read it back."""
    table: Table = type(row).__table__  # type: ignore[attr-defined]
    params = {f"set_{name}": value for name, value in values.items()}
    params[_ID], params[_READ] = row.id, row.version  # type: ignore[attr-defined]
    result = session.execute(_guarded_update(table, tuple(values)), params)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for name, value in values.items():
        set_committed_value(row, name, value)
    return True

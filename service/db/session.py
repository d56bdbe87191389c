"""Sessions and the unit of work: only the request or job boundary commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from service.config import get_settings
from service.db.engine import get_engine, write_engine

T = TypeVar("T")


def open_session(*, write: bool, url: str | None = None) -> Session:
    """A new session; ``write=True`` takes SQLite's write lock when the transaction begins."""
    url = url or get_settings().database_url
    bind = write_engine(url) if write else get_engine(url)
    return Session(bind=bind, expire_on_commit=False, autoflush=True)


def get_pending_too(session: Session, model: type[T], ident: Any) -> T | None:
    """``session.get``, which also finds a row added in this transaction and not yet written.

    ``get`` looks only at written rows: for a pending one (a case being opened: it is written with the rest at the
    commit) it would flush everything and read the row back, one flush and one SELECT for a row already in hand."""
    for obj in session.new:
        if type(obj) is model and obj.id == ident:  # type: ignore[attr-defined]
            return obj
    return session.get(model, ident)


_KEPT = "lif_kept"


def keep(session: Session, obj: T) -> T:
    """Hold ``obj`` for the session's lifetime: the identity map holds rows only weakly, so a row read, let go
    and asked for again in the same transaction would otherwise be read from the database a second time."""
    session.info.setdefault(_KEPT, []).append(obj)
    return obj


@contextmanager
def unit_of_work(*, write: bool = True, url: str | None = None) -> Iterator[Session]:
    """Commit if the block succeeds, roll back if it raises: the job boundary."""
    session = open_session(write=write, url=url)
    try:
        yield session
        if write:
            session.commit()
        # A read-only unit just closes: closing ends the transaction without expiring what was read.
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def reading(session: Session, *models: type) -> Iterator[None]:
    """Queries in the block read only ``models``' tables: they flush first only if one of those has pending changes.

    Autoflush would otherwise write everything pending before each such query: an engine step that opens three
    tasks, each announced to the people who may see it, flushed once per announcement and once per look-up of
    timers or open tasks (four flushes and split INSERTs per completion). The rows written meanwhile cannot change
    what these queries return, so they wait for the next flush: one, with each table's rows in one statement.
    """
    if any(isinstance(obj, models) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.flush()
    with session.no_autoflush:
        yield


_THIS_TRANSACTION = "lif_this_transaction"


def this_transaction(session: OrmSession) -> dict[str, Any]:
    """A place on the session for what holds only within its current transaction (what it opened, the versions
    it read): emptied when the transaction commits or rolls back, so a later one on the same session starts clean."""
    memo: dict[str, Any] = session.info.setdefault(_THIS_TRANSACTION, {})
    return memo


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_soft_rollback")
def _transaction_ended(session: OrmSession, *_args: Any) -> None:
    session.info.pop(_THIS_TRANSACTION, None)

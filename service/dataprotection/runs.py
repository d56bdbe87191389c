"""The disposal use cases for people: the dry run, a run now, and the disposal log (DPOs and partnership admins)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.actions.evidence_store import EvidenceStore
from service.audit.log import Actor, record
from service.dataprotection.disposal import dispose
from service.dataprotection.guard import require_data_protection_role
from service.dataprotection.retention import DueItem, due_for_disposal
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.errors import InvalidInput
from service.models import DisposalEntry
from service.pagination import Page, paginate_by_id

MAX_YEARS_AHEAD = 100


@dataclass(frozen=True)
class DisposalRun:
    """One run: its id, the day it counted to, and what it disposed."""

    run_id: uuid.UUID
    as_of: dt.date
    items: list[DueItem]


def today() -> dt.date:
    """Today in Europe/London, the day retention periods are counted to."""
    return utcnow().astimezone(LONDON).date()


def dry_run(session: Session, *, principal: Principal, as_of: dt.date | None) -> list[DueItem]:
    """What a run on ``as_of`` (default today) would dispose of, and why; changes nothing."""
    _check(principal)
    return due_for_disposal(session, partnership_id=principal.partnership_id, as_of=_as_of(as_of))


def run_now(session: Session, *, principal: Principal, as_of: dt.date | None, store: EvidenceStore) -> DisposalRun:
    """Dispose of what is due on ``as_of`` (default today) now; audited with the counts per record class."""
    _check(principal)
    return run_for(session, partnership_id=principal.partnership_id, as_of=_as_of(as_of), store=store, actor=principal)


def run_for(
    session: Session, *, partnership_id: uuid.UUID, as_of: dt.date, store: EvidenceStore, actor: Actor | None
) -> DisposalRun:
    """A disposal run for one partnership (the worker's daily run and ``lif dispose`` come here too)."""
    run_id = uuid.uuid4()
    items = dispose(session, partnership_id=partnership_id, as_of=as_of, run_id=run_id, store=store)
    if items or actor is not None:
        counts = count_by_class(items)
        record(
            session,
            partnership_id=partnership_id,
            actor=actor,
            action="disposal.run",
            object_type="disposal_run",
            object_id=str(run_id),
            summary=f"Disposal run as of {as_of.isoformat()}: {len(items)} item(s) disposed of",
            detail={"as_of": as_of.isoformat(), "counts": counts},
        )
    return DisposalRun(run_id=run_id, as_of=as_of, items=items)


def disposal_log(
    session: Session, *, principal: Principal, run_id: uuid.UUID | None, cursor: str | None, limit: int
) -> Page[DisposalEntry]:
    """The partnership's disposal log, newest first (the cursor is the last id seen)."""
    _check(principal)
    query = select(DisposalEntry).where(DisposalEntry.partnership_id == principal.partnership_id)
    if run_id is not None:
        query = query.where(DisposalEntry.run_id == run_id)
    return paginate_by_id(session, query, id_col=col(DisposalEntry.id), cursor=cursor, limit=limit)


def count_by_class(items: list[DueItem]) -> dict[str, int]:
    """How many items of each record class."""
    return dict(sorted(Counter(item.record_class for item in items).items()))


def _as_of(as_of: dt.date | None) -> dt.date:
    day = today()
    if as_of is None:
        return day
    if as_of > day + relativedelta(years=MAX_YEARS_AHEAD):
        raise InvalidInput(
            "as_of is too far ahead", [{"field": "as_of", "message": f"at most {MAX_YEARS_AHEAD} years from today"}]
        )
    return as_of


def _check(principal: Principal) -> None:
    require_data_protection_role(principal, "disposal")

"""Which of a partnership's webhook subscriptions are active: read once per transaction, cached across them.

Why the process-wide cache is never stale when used: every change to a subscription that can change what
``emit()`` decides (insert, delete, status, event types, agency, partnership) bumps its partnership's
``subscriptions_version`` in the same flush, so the change and its new version commit together or not at all
(``_bump_versions``, a session event: no ORM change can skip it; bulk UPDATE/DELETE of subscriptions would, and
tests/architecture/test_architecture.py refuses them in the source). A cache entry is filled from one statement
that reads the version and the active subscriptions together, so it pairs a version with exactly the set committed
with it. A request uses an entry only if its version equals the one its own authentication query read (READ
COMMITTED: what was committed when it authenticated), so it sees exactly what it would have read then; a changed set
always has a different version. A transaction that changed subscriptions itself neither uses nor fills the cache:
its own changes are not committed, and may never be.

Two things the version cannot see: subscriptions changed by code that does not bump (an older release still
running during a rolling deploy, or SQL by hand), and a database restored to an older state under a running
process (versions go back). After either, restart the API processes (docs/decisions.md).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from itertools import chain
from typing import Any

from sqlalchemy import and_, event, inspect, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from service.db.session import reading, this_transaction
from service.models import Partnership, WebhookSubscription

CACHE_SIZE = 1024  # partnerships per process; a deployment serves a handful


@dataclass(frozen=True, slots=True)
class ActiveSubscription:
    """What ``emit()`` needs of an active subscription; immutable, so one copy serves every session."""

    id: uuid.UUID
    agency_code: str | None
    event_types: frozenset[str]


Subscriptions = tuple[ActiveSubscription, ...]
_Key = tuple[str, uuid.UUID]  # (database URL, partnership id): tests and tools open several databases at once


class _VersionedCache:
    """A small LRU of (version, subscriptions) per partnership, shared by the threads of one process."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[_Key, tuple[int, Subscriptions]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _Key, version: int) -> Subscriptions | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: _Key, version: int, subscriptions: Subscriptions) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > version:
                return  # a slower reader must not replace a newer set (versions only grow)
            self._entries[key] = (version, subscriptions)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CACHE = _VersionedCache(CACHE_SIZE)
# Kept for the transaction only (this_transaction): a later one on the same session reads the version again, so a
# version noted earlier can never vouch for a newer cache entry.
_MEMO = "lif_active_subscriptions"  # partnership id -> Subscriptions, this transaction's
_SEEN = "lif_subscriptions_versions"  # partnership id -> version its authentication read
_CHANGED = "lif_subscriptions_changed"  # this transaction bumped a version; query, never cache
# What emit() decides by; a change to the URL, description or secrets does not bump.
_DECIDING = ("status", "event_types", "agency_code", "partnership_id")


def note_subscriptions_version(session: Session, partnership_id: uuid.UUID, version: int) -> None:
    """Remember the partnership's version as this transaction's authentication read it (no query of its own)."""
    this_transaction(session).setdefault(_SEEN, {})[partnership_id] = version


def carry_subscriptions_versions(source: Session, target: Session) -> None:
    """Hand the versions noted by an authentication done in its own short session on to the request's session."""
    seen = this_transaction(source).get(_SEEN)
    if seen:
        this_transaction(target).setdefault(_SEEN, {}).update(seen)


def active_subscriptions(session: Session, partnership_id: uuid.UUID) -> Subscriptions:
    """A partnership's active subscriptions, read once per transaction (one engine step emits many events)."""
    memo: dict[uuid.UUID, Subscriptions] = this_transaction(session).setdefault(_MEMO, {})
    found = memo.get(partnership_id)
    if found is None:
        found = memo[partnership_id] = _look_up(session, partnership_id)
    return found


def forget_subscriptions(session: Session) -> None:
    """Drop the per-transaction memo after subscriptions change (the next look-up reads them again)."""
    this_transaction(session).pop(_MEMO, None)


def clear_cache() -> None:
    """Empty the process-wide cache (tests that put a database back to an earlier state under the same URL)."""
    _CACHE.clear()


def _look_up(session: Session, partnership_id: uuid.UUID) -> Subscriptions:
    key = (str(session.get_bind().engine.url), partnership_id)
    # Unflushed changes to subscriptions bump when the query below flushes them: do not answer from the cache.
    trusted = not this_transaction(session).get(_CHANGED) and not _changed_partnerships(session)
    seen = this_transaction(session).get(_SEEN, {}).get(partnership_id)
    if trusted and seen is not None:
        cached = _CACHE.get(key, seen)
        if cached is not None:
            return cached
    # One statement, so the version and the set come from one snapshot (READ COMMITTED takes one per statement).
    # It flushes pending subscription changes (they bump the version), not a case being opened meanwhile.
    with reading(session, Partnership, WebhookSubscription):
        rows = session.exec(
            select(
                Partnership.subscriptions_version,
                WebhookSubscription.id,
                WebhookSubscription.agency_code,
                WebhookSubscription.event_types,
            )
            .select_from(Partnership)
            .join(
                WebhookSubscription,
                and_(
                    col(WebhookSubscription.partnership_id) == col(Partnership.id),
                    col(WebhookSubscription.status) == "active",
                ),
                isouter=True,
            )
            .where(col(Partnership.id) == partnership_id)
        ).all()
    found = tuple(
        ActiveSubscription(sub_id, agency, frozenset(types)) for _, sub_id, agency, types in rows if sub_id is not None
    )
    if rows and not this_transaction(session).get(_CHANGED):  # the query's autoflush may have bumped just now
        _CACHE.put(key, rows[0][0], found)
    return found


def _changed_partnerships(session: OrmSession) -> set[uuid.UUID]:
    """Partnerships whose subscriptions this session is about to change in a way ``emit()`` would notice."""
    changed: set[uuid.UUID] = set()
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, WebhookSubscription):
            changed.add(obj.partnership_id)
    for obj in session.dirty:
        if not isinstance(obj, WebhookSubscription):
            continue
        attrs = inspect(obj).attrs
        if any(attrs[name].history.has_changes() for name in _DECIDING):
            changed.add(obj.partnership_id)
            changed.update(attrs.partnership_id.history.deleted or ())  # moved away from one partnership
    return changed


@event.listens_for(OrmSession, "after_flush")
def _bump_versions(session: OrmSession, _context: Any) -> None:
    # After the flush's own statements (the session still lists what it flushed), so a transaction locks the
    # subscription row before the partnership row, in the order the delivery worker does: no deadlock between them.
    changed = _changed_partnerships(session)
    if not changed:
        return
    # A Partnership loaded in this session keeps showing the old number (nothing reads it from there; the flush
    # writes only changed columns, so it is never written back).
    session.execute(
        update(Partnership)
        .where(col(Partnership.id).in_(changed))
        .values(subscriptions_version=col(Partnership.subscriptions_version) + 1)
        .execution_options(synchronize_session=False)
    )
    this_transaction(session)[_CHANGED] = True
    this_transaction(session).pop(_MEMO, None)

"""Request dependencies: one session per request (the commit boundary) and the authenticated caller."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from service.access.principal import Principal
from service.audit.access import take_pending, write_after_read, write_entries
from service.config import get_settings
from service.db.session import open_session
from service.errors import DomainError, Forbidden, InvalidInput, PreconditionFailed, Unauthenticated
from service.identity.throttle import FailureLimiter, failure_keys
from service.identity.tokens import authenticate

_bearer = HTTPBearer(auto_error=False, description="A LIF API token (`lif token create`, or `lif demo`).")


async def _session(request: Request) -> AsyncIterator[Session]:
    # The request is the unit of work: commit once on success, roll back on any error, before responding.
    # Async so that opening the session (no I/O: it connects on first use) costs no hop to a worker thread;
    # ending it does I/O, so that runs in one.
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    session = open_session(write=write, url=request.app.state.database_url)
    try:
        yield session
    except BaseException as exc:
        await _in_thread(_abandon, session, exc)
        raise
    await _in_thread(_finish, session, write, getattr(request.state, "correlation_id", ""))


async def _in_thread(end: Callable[..., None], session: Session, *args: Any) -> None:
    try:
        await run_in_threadpool(end, session, *args)
    except BaseException:
        # Cancelled before the hand-off ran (or it failed): never leave the transaction, and its lock, open.
        if session.in_transaction():
            session.rollback()
        session.close()
        raise


def _finish(session: Session, write: bool, correlation_id: str) -> None:
    try:
        # Every look at personal data is logged before the response leaves: in the request's transaction when it
        # writes, else right after the read (service/audit/access.py). No log, no response.
        looks = take_pending(session)
        if write:
            write_entries(session.connection(), looks, correlation_id=correlation_id)
            session.commit()
        elif looks and write_after_read(session, looks, correlation_id=correlation_id):
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _abandon(session: Session, exc: BaseException) -> None:
    try:
        if isinstance(exc, DomainError) and exc.commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(_session, scope="function")]


def _any_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials else None
    # Checked before the token is: a guesser must not learn that a guess was right while refused.
    # request.client is the socket peer, or what a trusted proxy forwarded (LIF_TRUSTED_PROXIES, `lif serve`).
    limiter: FailureLimiter = request.app.state.auth_limiter
    keys = failure_keys(request.client.host if request.client else None, token)
    limiter.check(keys)
    try:
        return authenticate(session, token)
    except Unauthenticated:
        if token:
            limiter.failed(keys)
        raise


MACHINE_SCOPE = "a machine token can only use its agency's tasks, actions and webhook subscriptions (and GET /me)"


async def _person_principal(principal: Annotated[Principal, Depends(_any_principal)]) -> Principal:
    if principal.machine:
        raise Forbidden(MACHINE_SCOPE)
    return principal


# People only (cases, definitions, training, audit...). Machine tokens reach AgencyPrincipalDep routes only, which
# docs/webhooks.md lists (a test holds the two together).
PrincipalDep = Annotated[Principal, Depends(_person_principal)]
# People and partner systems' agency-scoped machine tokens (tasks, actions, webhooks, /me).
AgencyPrincipalDep = Annotated[Principal, Depends(_any_principal)]


async def _page_limit(
    limit: Annotated[
        int, Query(ge=1, description="Items per page, 1 to LIF_PAGE_SIZE_MAX (default 200); outside that, 422.")
    ] = 50,
) -> int:
    # Refused, not clamped: a client asking for 500 and silently getting 200 would think it has everything.
    maximum = get_settings().page_size_max
    if limit > maximum:
        raise InvalidInput(
            f"limit must be at most {maximum}; page on with next_cursor",
            [{"field": "query.limit", "message": f"between 1 and {maximum}"}],
        )
    return limit


LimitDep = Annotated[int, Depends(_page_limit)]


_TASK_ETAG = re.compile(r"(\d+)(?:-[0-9a-f]+)?")  # the version, then the body's digest when sent (task_etag)


async def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            description='The task\'s ETag as you read it (e.g. "3-9f86d081884c7d65"), or just its version ("3"). '
            "Only the version is compared: it names the task's state, which is what a claim or a completion must "
            "not overwrite unseen; the digest after it also changes with derived parts of the body (answers "
            "brought forward from another case) that do not make your submission stale."
        ),
    ] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    found = _TASK_ETAG.fullmatch(if_match.strip().removeprefix("W/").strip('"'))
    if found is None:
        raise PreconditionFailed(
            f'If-Match must be the ETag you received (e.g. "3-9f86d081884c7d65") or the task\'s version (e.g. "3"), '
            f"not {if_match!r}"
        )
    return int(found.group(1))


IfMatchDep = Annotated[int | None, Depends(_if_match)]


def task_etag(version: int, body: str) -> str:
    """A task's ETag: its version (what If-Match compares) and a digest of the body it is sent with.

    The body also holds parts derived at read time (answers brought forward from another case) that change
    without a new version; the digest makes If-None-Match see them, the version keeps If-Match about state.
    """
    return f'"{version}-{hashlib.sha256(body.encode()).hexdigest()[:16]}"'

"""Request dependencies: one session per request (the commit boundary) and the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from service.access.principal import Principal
from service.audit.access import take_pending, write_after_read, write_entries
from service.config import get_settings
from service.db.session import open_session
from service.errors import DomainError, Forbidden, PreconditionFailed
from service.identity.tokens import authenticate

_bearer = HTTPBearer(auto_error=False, description="A LIF API token (`lif token create`, or `lif demo`).")


def _session(request: Request) -> Iterator[Session]:
    # The request is the unit of work: commit once on success, roll back on any error, before responding.
    yield from _unit_of_work(request, write=request.method not in ("GET", "HEAD", "OPTIONS"))


def _unit_of_work(request: Request, *, write: bool) -> Iterator[Session]:
    url = request.app.state.database_url
    session = open_session(write=write, url=url)
    try:
        yield session
        # Every look at personal data is logged before the response leaves: in the request's transaction when it
        # writes, else right after the read (service/audit/access.py). No log, no response.
        looks = take_pending(session)
        correlation_id = getattr(request.state, "correlation_id", "")
        if write:
            write_entries(session.connection(), looks, correlation_id=correlation_id)
            session.commit()
        elif looks and write_after_read(session, looks, correlation_id=correlation_id):
            session.commit()
    except DomainError as exc:
        if exc.commit:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(_session, scope="function")]


def _any_principal(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    return authenticate(session, credentials.credentials if credentials else None)


def _person_principal(principal: Annotated[Principal, Depends(_any_principal)]) -> Principal:
    if principal.machine:
        raise Forbidden("a machine token can only use the task and webhook endpoints of its agency")
    return principal


# People only (cases, definitions, audit...). Machine tokens are limited to AgencyPrincipalDep routes.
PrincipalDep = Annotated[Principal, Depends(_person_principal)]
# People and partner systems' agency-scoped machine tokens (tasks, webhooks, /me).
AgencyPrincipalDep = Annotated[Principal, Depends(_any_principal)]


def _page_limit(limit: int = 50) -> int:
    return max(1, min(limit, get_settings().page_size_max))


LimitDep = Annotated[int, Depends(_page_limit)]


def _if_match(
    if_match: Annotated[str | None, Header(description='The task\'s ETag, e.g. "3".')] = None,
) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise PreconditionFailed(f'If-Match must be the ETag you received (e.g. "3"), not {if_match!r}')
    return int(text)


IfMatchDep = Annotated[int | None, Depends(_if_match)]


def etag(version: int) -> str:
    """The ETag header value for a resource version."""
    return f'"{version}"'

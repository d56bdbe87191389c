"""Bearer tokens: random, shown once, stored only as SHA-256; they can expire and be revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from service.access.policy import oversight_roles_of
from service.access.principal import Principal
from service.audit.log import Actor, record
from service.config import get_settings
from service.db.engine import WRITE
from service.db.session import keep
from service.db.types import utcnow
from service.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from service.identity.oidc.signin import authenticate_jwt
from service.identity.oidc.validation import looks_like_jwt
from service.models import Agency, ApiToken, Partnership, User
from service.outbox.subscriptions import note_subscriptions_version
from service.timestamps import rfc3339_or_none

TOKEN_PREFIX = "lif_"
PREFIX_LENGTH = 12  # what is stored in clear, to name a token in lists and to rate-limit guesses at it
# last_used_at is refreshed at most this often per token: a busy token does not write on every request.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str:
    """The part of a token kept in clear (also what the sign-in limiter counts failures against)."""
    return token[:PREFIX_LENGTH]


def create_token(
    session: Session, *, user_id: uuid.UUID, name: str, expires_at: dt.datetime | None = None, scope: str = "user"
) -> str:
    """Issue a new token for a user and return it (the only time it is ever visible); see ``issue_token``."""
    return issue_token(session, user_id=user_id, name=name, expires_at=expires_at, scope=scope)[0]


def issue_token(
    session: Session,
    *,
    user_id: uuid.UUID,
    name: str,
    expires_at: dt.datetime | None = None,
    scope: str = "user",
    actor: Actor | None = None,
) -> tuple[str, ApiToken]:
    """Issue a new token for a user; returns the token (the only time it is ever visible) and its row.

    A person's token never outlives ``LIF_PERSONAL_TOKEN_MAX_DAYS``; without an expiry it gets exactly that.
    Machine tokens (scope ``agency``) expire only when asked to: a partner system cannot sign in again.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    if not user.active:
        raise Conflict(f"{user.name} is deactivated; reactivate them before issuing a token")
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("the expiry is in the past", [{"field": "expires_at", "message": "give a future time"}])
    if scope == "user":
        days = get_settings().personal_token_max_days
        longest = now + dt.timedelta(days=days)
        if expires_at is not None and expires_at > longest:
            raise InvalidInput(
                "the expiry is too far away",
                [{"field": "expires_at", "message": f"a personal token lasts at most {days} days"}],
            )
        expires_at = expires_at or longest
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        partnership_id=user.partnership_id,
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        prefix=token_prefix(token),
        scope=scope,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    record(
        session,
        partnership_id=user.partnership_id,
        actor=actor,
        action="token.created",
        object_type="user",
        object_id=str(user.id),
        summary=f"API token '{name}' ({row.prefix}…) issued to {user.name}",
        detail={"token_id": str(row.id), "expires_at": rfc3339_or_none(expires_at)},
    )
    return token, row


def revoke_token(session: Session, *, partnership_id: uuid.UUID, token_id: uuid.UUID, actor: Actor | None) -> ApiToken:
    """Revoke a token of the partnership: refused from the very next request on."""
    row = session.get(ApiToken, token_id)
    if row is None or row.partnership_id != partnership_id:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
        record(
            session,
            partnership_id=partnership_id,
            actor=actor,
            action="token.revoked",
            object_type="user",
            object_id=str(row.user_id),
            summary=f"API token '{row.name}' ({row.prefix}…) revoked",
            detail={"token_id": str(row.id)},
        )
    return row


def authenticate(session: Session, token: str | None) -> Principal:
    """Resolve a bearer token to a principal, or refuse with 401.

    Nothing about a token or its user is cached between requests, so a revocation or a deactivation is seen by
    the very next request.
    """
    if not token:
        raise Unauthenticated("send 'Authorization: Bearer <token>'; create one with `lif token create`")
    if looks_like_jwt(token):  # an access token from the partnership's OpenID Connect provider
        return authenticate_jwt(session, token)
    return _opaque_token_principal(session, token)


# One query: the token, its user, its partnership (whole, and kept for the request: nearly every request that writes
# reads it again, for its settings, policy or case numbers) and the user's agency code. Built once with the hash as
# a parameter: building the statement (and its cache key) cost as much as running it, on every request. The token
# and the user are read as columns, not objects: a request only reads them (the touch below is an UPDATE of its
# own), and building their two ORM objects was a third of authenticating.
_TOKEN_ROW = (
    sa_select(
        col(ApiToken.id),
        col(ApiToken.scope),
        col(ApiToken.revoked_at),
        col(ApiToken.expires_at),
        col(ApiToken.last_used_at),
        col(User.id),
        col(User.name),
        col(User.roles),
        col(User.active),
        Partnership,
        col(Agency.code),
    )
    .join(User, User.id == ApiToken.user_id)  # type: ignore[arg-type]
    .join(Partnership, Partnership.id == User.partnership_id)  # type: ignore[arg-type]
    .join(Agency, col(Agency.id) == col(User.agency_id), isouter=True)
    .where(col(ApiToken.token_hash) == bindparam("token_hash"))
)


def _opaque_token_principal(session: Session, token: str) -> Principal:
    row = session.execute(_TOKEN_ROW, {"token_hash": hash_token(token)}).first()
    if row is None:
        raise Unauthenticated("the bearer token is not recognised")
    token_id, scope, revoked_at, expires_at, last_used_at, user_id, name, roles, active, partnership, code = row
    keep(session, partnership)
    now = utcnow()
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        raise Unauthenticated("the bearer token has expired or been revoked")
    if not active:
        raise Unauthenticated("this user is deactivated")
    _note_use(session, token_id, last_used_at, now)
    note_subscriptions_version(session, partnership.id, partnership.subscriptions_version)
    return _principal(
        user_id=user_id,
        partnership_id=partnership.id,
        name=name,
        roles=roles,
        agency_code=code,
        policy=partnership.data_protection,
        machine=scope == "agency",
    )


def person_principal(session: Session, user_id: uuid.UUID) -> Principal:
    """The principal a person's own token would give them: for work done later on their behalf (report jobs)."""
    row = session.exec(
        select(User, Partnership.data_protection, Partnership.subscriptions_version)
        .join(Partnership, Partnership.id == User.partnership_id)  # type: ignore[arg-type]
        .where(User.id == user_id)
    ).first()
    if row is None or not row[0].active:
        raise Unauthenticated("the person who asked for this is no longer an active user")
    user, policy, subscriptions_version = row
    note_subscriptions_version(session, user.partnership_id, subscriptions_version)
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    return _principal(
        user_id=user.id,
        partnership_id=user.partnership_id,
        name=user.name,
        roles=user.roles,
        agency_code=agency.code if agency else None,
        policy=policy,
        machine=False,
    )


def _principal(
    *,
    user_id: uuid.UUID,
    partnership_id: uuid.UUID,
    name: str,
    roles: list[str],
    agency_code: str | None,
    policy: Any,
    machine: bool,
) -> Principal:
    return Principal(
        user_id=user_id,
        partnership_id=partnership_id,
        name=name,
        roles=frozenset(roles),
        agency_code=agency_code,
        machine=machine,
        oversight=not machine and bool(set(roles) & oversight_roles_of(policy)),
    )


def _note_use(session: Session, token_id: uuid.UUID, last_used_at: dt.datetime | None, now: dt.datetime) -> None:
    if last_used_at is not None and now - last_used_at < TOUCH_INTERVAL:
        return
    # Conditional, so several processes refreshing the same token at once write it once.
    touch = (
        update(ApiToken)
        .where(col(ApiToken.id) == token_id)
        .where(or_(col(ApiToken.last_used_at).is_(None), col(ApiToken.last_used_at) < now - TOUCH_INTERVAL))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    bind = session.get_bind()
    if bind.dialect.name == "sqlite" and session.connection().get_execution_options().get(WRITE, False):
        # A writing request on SQLite already holds the one write lock: a second writer would wait for it.
        session.connection().execute(touch)
        return
    # Otherwise a short transaction of its own: a read request may never commit, and on PostgreSQL the row lock
    # must not be held for a whole writing request (parallel requests with one token would queue behind it).
    # On SQLite WAL the request's open read snapshot does not block this writer.
    with bind.engine.execution_options(**{WRITE: True}).begin() as connection:
        connection.execute(touch)

"""Bearer tokens: random, shown once, stored only as SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from sqlmodel import Session, select

from service.access.policy import oversight_roles_of
from service.access.principal import Principal
from service.audit.log import record
from service.db.types import utcnow
from service.errors import NotFound, Unauthenticated
from service.identity.oidc.signin import authenticate_jwt
from service.identity.oidc.validation import looks_like_jwt
from service.models import Agency, ApiToken, Partnership, User

TOKEN_PREFIX = "lif_"


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, *, user_id: uuid.UUID, name: str, expires_at: dt.datetime | None = None, scope: str = "user"
) -> str:
    """Issue a new token for a user and return it (the only time it is ever visible)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            partnership_id=user.partnership_id,
            user_id=user.id,
            name=name,
            token_hash=hash_token(token),
            prefix=token[:12],
            scope=scope,
            expires_at=expires_at,
        )
    )
    record(
        session,
        partnership_id=user.partnership_id,
        actor=None,
        action="token.created",
        object_type="user",
        object_id=str(user.id),
        summary=f"API token '{name}' issued to {user.name}",
    )
    return token


def authenticate(session: Session, token: str | None) -> Principal:
    """Resolve a bearer token to a principal, or refuse with 401."""
    if not token:
        raise Unauthenticated("send 'Authorization: Bearer <token>'; create one with `lif token create`")
    if looks_like_jwt(token):  # an access token from the partnership's OpenID Connect provider
        return authenticate_jwt(session, token)
    row = session.exec(
        select(ApiToken, User, Partnership.data_protection)
        .join(User, User.id == ApiToken.user_id)  # type: ignore[arg-type]
        .join(Partnership, Partnership.id == User.partnership_id)  # type: ignore[arg-type]
        .where(ApiToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        raise Unauthenticated("the bearer token is not recognised")
    api_token, user, policy = row
    now = utcnow()
    if api_token.revoked_at is not None or (api_token.expires_at is not None and api_token.expires_at <= now):
        raise Unauthenticated("the bearer token has expired or been revoked")
    if not user.active:
        raise Unauthenticated("this user is deactivated")
    agency_code = None
    if user.agency_id is not None:
        agency = session.get(Agency, user.agency_id)
        agency_code = agency.code if agency else None
    return Principal(
        user_id=user.id,
        partnership_id=user.partnership_id,
        name=user.name,
        roles=frozenset(user.roles),
        agency_code=agency_code,
        machine=api_token.scope == "agency",
        oversight=api_token.scope != "agency" and bool(set(user.roles) & oversight_roles_of(policy)),
    )

"""The OpenID Connect path of authentication: a JWT access token in, a principal (or a clear 401) out."""

from __future__ import annotations

from sqlmodel import Session

from service.access.principal import Principal
from service.db.session import unit_of_work
from service.errors import Unauthenticated
from service.identity.oidc.claims import read_identity
from service.identity.oidc.provisioning import sign_in
from service.identity.oidc.trust import trusted_issuers
from service.identity.oidc.validation import peek, verify


def authenticate_jwt(session: Session, token: str) -> Principal:
    """Resolve a provider's access token to the partnership's user, or refuse with 401."""
    # Our own short units of work on the request's database: the request's session stays untouched (on SQLite a
    # writing request would hold the write lock that a first sign-in needs).
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    unverified = peek(token)
    with unit_of_work(write=False, url=url) as reader:
        candidates = trusted_issuers(reader, unverified.issuer)
    if not candidates:
        raise Unauthenticated(
            f"tokens from {unverified.issuer} are not trusted here; a partnership admin adds the provider with "
            "PUT /api/v1/partnership/identity-providers/{key}"
        )
    claims = verify(token, unverified, audiences=[c.audience for c in candidates])
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    matched = [c for c in candidates if c.audience in audiences]
    if len(matched) != 1:
        raise Unauthenticated("the token's audiences name more than one partnership; request a token for one")
    trusted = matched[0]
    return sign_in(url, trusted, read_identity(claims, trusted))

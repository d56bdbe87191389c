"""The OpenID Connect path of authentication: a JWT access token in, a principal (or a clear 401) out."""

from __future__ import annotations

from sqlmodel import Session

from service.access.principal import Principal
from service.db.session import unit_of_work
from service.errors import Unauthenticated
from service.identity.oidc.claims import read_identity
from service.identity.oidc.provisioning import find_principal, first_sign_in
from service.identity.oidc.trust import TrustedIssuer, trusted_issuers
from service.identity.oidc.validation import Unverified, peek, verify
from service.outbox.subscriptions import carry_subscriptions_versions


def _trusted_for(session: Session, unverified: Unverified) -> TrustedIssuer:
    candidates = trusted_issuers(session, unverified.issuer)
    if not candidates:
        raise Unauthenticated(
            f"tokens from {unverified.issuer} are not trusted here; a partnership admin adds the provider with "
            "PUT /api/v1/partnership/identity-providers/{key}"
        )
    aud = unverified.claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    matched = [c for c in candidates if c.audience in audiences]
    if not matched:
        expected = " or ".join(c.audience for c in candidates)
        raise Unauthenticated(f"the token is not meant for this service (its aud is not {expected})")
    if len(matched) > 1:
        raise Unauthenticated("the token's audiences name more than one partnership; request a token for one")
    return matched[0]


def authenticate_jwt(session: Session, token: str) -> Principal:
    """Resolve a provider's access token to the partnership's user, or refuse with 401."""
    # Our own short units of work on the request's database: the request's session stays untouched (on SQLite a
    # writing request would hold the write lock that a first sign-in needs).
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    unverified = peek(token)
    # One read for configuration and user, from the claims as sent; nothing read is used unless the token
    # then verifies, and a verified token's claims are exactly the ones read here.
    refusal: Unauthenticated | None = None
    with unit_of_work(write=False, url=url) as reader:
        trusted = _trusted_for(reader, unverified)
        identity = read_identity(unverified.claims, trusted)
        try:
            principal = find_principal(reader, trusted, identity)
        except Unauthenticated as exc:
            # Said only once the token verifies: a forged token must not learn who is deactivated.
            principal, refusal = None, exc
    verify(token, unverified, audience=trusted.audience, hosted=trusted.hosted)
    if refusal is not None:
        raise refusal
    if principal is None:
        return first_sign_in(url, trusted, identity)
    # The version the reader saw is a moment older than the request's transaction: still one that was committed
    # when the request began, which is all the outbox's cache asks of it.
    carry_subscriptions_versions(reader, session)
    return principal

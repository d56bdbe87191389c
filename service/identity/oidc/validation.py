"""A JWT access token checked: an allow-listed asymmetric algorithm, the issuer's key, iss, aud, exp, nbf, iat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from service.config import get_settings
from service.errors import Unauthenticated
from service.identity.oidc.keys import KEY_TYPE_OF, KEYS

# Asymmetric only: "none" and the HMAC family (HS256 signed with a provider's *public* key) are never accepted.
ALLOWED_ALGORITHMS = frozenset(KEY_TYPE_OF)


@dataclass(frozen=True)
class Unverified:
    """What a token claims before it is checked: only used to find the issuer's configuration and keys."""

    alg: str
    kid: str | None
    issuer: str
    claims: dict[str, Any]


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments: a JWS in compact form (our own tokens never contain a dot)."""
    parts = token.split(".")
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    return len(parts) == 3 and all(parts[:2]) and all(set(part) <= alphabet for part in parts)


def peek(token: str) -> Unverified:
    """The token's algorithm, key id and issuer, unverified; refuses algorithms we never accept."""
    try:
        decoded = jwt.PyJWT().decode_complete(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Unauthenticated("the bearer token looks like a JWT but cannot be read") from None
    header, claims = decoded["header"], decoded["payload"]
    alg, kid, issuer = header.get("alg"), header.get("kid"), claims.get("iss")
    if alg not in ALLOWED_ALGORITHMS:
        raise Unauthenticated(
            f"tokens signed with {alg!r} are not accepted; use one of {', '.join(sorted(ALLOWED_ALGORITHMS))}"
        )
    if not isinstance(issuer, str) or not issuer:
        raise Unauthenticated("the token names no issuer (iss)")
    return Unverified(alg=str(alg), kid=kid if isinstance(kid, str) else None, issuer=issuer, claims=claims)


def verify(token: str, unverified: Unverified, *, audience: str, hosted: bool) -> dict[str, Any]:
    """The token's claims once its signature, issuer, audience and times check out.

    ``hosted``: the issuer comes from the environment (the hosting team), so it may be on a private network.
    """
    public_only = not hosted and get_settings().environment == "production"
    key = KEYS.signing_key(unverified.issuer, unverified.kid, unverified.alg, public_only=public_only)
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[unverified.alg],
            audience=audience,
            issuer=unverified.issuer,
            leeway=get_settings().oidc_leeway_seconds,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired; get a new one from your identity provider") from None
    except jwt.InvalidAudienceError:
        raise Unauthenticated(f"the token is not meant for this service (its aud is not {audience})") from None
    except jwt.ImmatureSignatureError:
        raise Unauthenticated("the token is not valid yet (nbf or iat is in the future)") from None
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"the token was refused: {exc}") from None

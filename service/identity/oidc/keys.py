"""Each provider's discovery document and signing keys, cached per issuer.

Keys are fetched from the ``jwks_uri`` that ``{issuer}/.well-known/openid-configuration`` names, kept for
``oidc_keys_cache_seconds``, and fetched again early when a token names a key id we do not hold (the provider
rotated its keys). Early fetches are at most one per ``oidc_keys_refetch_floor_seconds`` per issuer, so a stream
of tokens with invented key ids cannot make us hammer the provider.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from service.config import get_settings
from service.errors import Unauthenticated
from service.identity.oidc.urls import url_problem

log = logging.getLogger("lif.oidc")

MAX_DOCUMENT_BYTES = 512 * 1024  # a discovery document or key set is a few KiB; refuse anything far larger
# Which key type (and curve) each accepted algorithm needs: a key is used only with the algorithm it fits.
KEY_TYPE_OF = {
    **{f"{family}{bits}": ("RSA", None) for family in ("RS", "PS") for bits in (256, 384, 512)},
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", None),
}


class ProviderUnreachable(Unauthenticated):
    """The provider's discovery document or keys could not be had (the token cannot be checked)."""


@dataclass
class _KeySet:
    keys: list[dict[str, Any]]
    fetched_at: float
    verifiers: dict[tuple[str | None, str], jwt.PyJWK] = field(default_factory=dict)  # parsed once per key

    def verifier(self, kid: str | None, alg: str) -> jwt.PyJWK | None:
        """The parsed key for ``kid`` and ``alg``, or None when the set has no such key."""
        if (kid, alg) not in self.verifiers:
            jwk = _pick(self.keys, kid, alg)
            if jwk is None:
                return None
            try:
                self.verifiers[(kid, alg)] = jwt.PyJWK(jwk, algorithm=alg)
            except jwt.PyJWTError:
                return None  # a key of the set that cannot verify this algorithm is no key for it
        return self.verifiers[(kid, alg)]


@dataclass
class _Issuer:
    lock: threading.Lock = field(default_factory=threading.Lock)
    key_set: _KeySet | None = None
    last_attempt: float = float("-inf")


def _fits(jwk: dict[str, Any], alg: str) -> bool:
    kty, crv = KEY_TYPE_OF[alg]
    return (
        jwk.get("kty") == kty
        and (crv is None or jwk.get("crv") == crv)
        and jwk.get("use", "sig") == "sig"
        and jwk.get("alg", alg) == alg
    )


def _pick(keys: list[dict[str, Any]], kid: str | None, alg: str) -> dict[str, Any] | None:
    # Without a kid the token can only be matched when the provider has exactly one key that fits.
    candidates = [k for k in keys if _fits(k, alg) and (kid is None or k.get("kid") == kid)]
    return candidates[0] if len(candidates) == 1 else None


def _get_json(client: httpx.Client, url: str, *, deadline: float, public_only: bool) -> dict[str, Any]:
    problem = url_problem(url, production=get_settings().environment == "production", public_only=public_only)
    if problem:
        raise ProviderUnreachable(f"the provider address {url} {problem}")
    try:
        with client.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code != 200:
                raise ProviderUnreachable(f"{url} answered {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                # Bounded in size and in total time, so a slow or endless answer cannot hold a request.
                if len(body) > MAX_DOCUMENT_BYTES or time.monotonic() > deadline:
                    raise ProviderUnreachable(f"{url} sent too much, too slowly")
        document = json.loads(body)
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnreachable(f"{url} could not be read ({type(exc).__name__})") from None
    if not isinstance(document, dict):
        raise ProviderUnreachable(f"{url} did not answer a JSON object")
    return document


def fetch_keys(issuer: str, *, public_only: bool) -> list[dict[str, Any]]:
    """Discovery, then the key set it names: the provider's public signing keys (``public_only``: SSRF guard)."""
    timeout = get_settings().oidc_http_timeout_seconds
    deadline = time.monotonic() + 2 * timeout
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        discovery_url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        discovery = _get_json(client, discovery_url, deadline=deadline, public_only=public_only)
        # OpenID Connect Discovery 1.0 §4.3: the document must name exactly the issuer it was fetched for.
        if discovery.get("issuer") != issuer:
            raise ProviderUnreachable(f"the discovery document of {issuer} names another issuer")
        jwks_uri = discovery.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ProviderUnreachable(f"the discovery document of {issuer} has no jwks_uri")
        keys = _get_json(client, jwks_uri, deadline=deadline, public_only=public_only).get("keys")
    if not isinstance(keys, list):
        raise ProviderUnreachable(f"the key set of {issuer} has no keys")
    return [k for k in keys if isinstance(k, dict)]


class KeyCache:
    """Signing keys per issuer; safe to share between request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._issuers: dict[str, _Issuer] = {}
        self.fetches = 0  # key-set fetches made (observability, and what the refetch floor is tested by)

    def forget(self, issuer: str | None = None) -> None:
        """Forget one provider's keys (or every provider's)."""
        with self._lock:
            if issuer is None:
                self._issuers.clear()
            else:
                self._issuers.pop(issuer, None)

    def signing_key(self, issuer: str, kid: str | None, alg: str, *, public_only: bool) -> jwt.PyJWK:
        """The key that verifies a token from ``issuer`` with key id ``kid`` and algorithm ``alg``.

        Only trusted issuers reach here, so the cache holds at most one entry per configured provider.
        """
        with self._lock:
            state = self._issuers.setdefault(issuer, _Issuer())
        settings = get_settings()
        with state.lock:  # one fetch per issuer at a time; other issuers are not held up
            now = time.monotonic()
            held = state.key_set
            if held is not None and now - held.fetched_at < settings.oidc_keys_cache_seconds:
                key = held.verifier(kid, alg)
                if key is not None:
                    return key
            if now - state.last_attempt >= settings.oidc_keys_refetch_floor_seconds:
                state.last_attempt = now
                self.fetches += 1
                try:
                    state.key_set = held = _KeySet(fetch_keys(issuer, public_only=public_only), fetched_at=now)
                except ProviderUnreachable as exc:
                    # Keys past their cache time still verify while the provider is away.
                    log.warning("keys of %s not refreshed: %s", issuer, exc.detail)
                    if held is None:
                        raise
            if held is None:
                raise ProviderUnreachable(f"the keys of {issuer} could not be fetched just now; try again shortly")
            key = held.verifier(kid, alg)
        if key is None:
            raise Unauthenticated(f"the token's signing key ({kid or 'no kid'}, {alg}) is not one of {issuer}'s keys")
        return key


KEYS = KeyCache()

"""OpenID Connect sign-in against a real, independent provider (oidc-provider on loopback; tests/oidc_provider).

The provider issues JWT access tokens by client credentials with a resource indicator (the audience); each
client's extra claims stand for one person (email, groups, agency).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm
from sqlmodel import select

from service.config import get_settings
from service.db.session import unit_of_work
from service.engine.functions import today
from service.identity.oidc.keys import KEYS
from service.models import AuditEvent, IdentityProvider, Partnership, User, WebhookDelivery
from tests.conftest import Api
from tests.helpers import sql_statements, subscription_reads
from tests.oidc_provider.provider import AUDIENCE, Provider

KNOWN = "business.manager@northshire.example"
CLIENTS: dict[str, dict[str, Any]] = {
    "known": {"email": KNOWN},
    "known-es": {"email": "crg.member@northshire.example"},
    "short": {"email": KNOWN},
    "newcomer": {
        "email": "new.worker@northshire.example",
        "name": "Nia Worker",
        "groups": ["g-bm", "g-x"],
        "agency": "police",
    },
    "roleless": {"email": "nobody@northshire.example", "groups": ["g-x"]},
    "unverified": {"email": "chair@northshire.example", "email_verified": False},
    "chair": {"email": "chair@northshire.example", "email_verified": True},
    "grabber": {"email": "someone.else@northshire.example", "groups": ["g-admin-platform"]},
}


@pytest.fixture(scope="session")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """The provider the demo partnership trusts (started once for the session)."""
    started = Provider(tmp_path_factory.mktemp("oidc"), CLIENTS, ttl={"short": 2}, alg={"known-es": "ES256"})
    started.start()
    yield started
    started.stop()


@pytest.fixture(scope="session")
def untrusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """A second, equally real provider nobody trusts."""
    started = Provider(tmp_path_factory.mktemp("oidc-other"), CLIENTS, ttl={}, alg={})
    started.start()
    yield started
    started.stop()


def setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """Change one LIF_* setting for the rest of the test (the settings are read once, so re-read them)."""
    monkeypatch.setenv(f"LIF_{name}", value)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _keys_refetched_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rotation is tested without waiting out the production floor; the floor has its own test.
    setting(monkeypatch, "OIDC_KEYS_REFETCH_FLOOR_SECONDS", "0")
    KEYS.forget()


def trust(api: Api, provider: Provider, **changes: Any) -> dict[str, Any]:
    """The partnership admin trusts ``provider`` (groups claim mapped, agency claim read)."""
    body = {
        "issuer": provider.issuer,
        "audience": AUDIENCE,
        "roles_claim": "groups",
        "agency_claim": "agency",
        "role_map": {"g-bm": ["business_manager"], "g-admin-platform": ["partnership_chair"]},
        **changes,
    }
    response = api.as_("partnership_admin").request("PUT", "/api/v1/partnership/identity-providers/test-idp", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def me(api: Api, token: str) -> Any:
    return api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def refused(response: Any, fragment: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fragment in response.json()["detail"], response.json()["detail"]


def users_with_email(db_url: str, email: str) -> list[User]:
    with unit_of_work(write=False, url=db_url) as session:
        return list(session.exec(select(User).where(User.email == email)))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_valid_token_signs_in_the_user_with_that_email_and_links_their_subject(
    api: Api, provider: Provider, db_url: str
) -> None:
    trust(api, provider)
    signed_in = me(api, provider.token("known"))
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["name"] == "Bea Morgan"
    assert signed_in.json()["roles"] == ["business_manager"]
    [user] = users_with_email(db_url, KNOWN)
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "known")
    # ES256 as well as RS256; the opaque tokens keep working beside them.
    assert me(api, provider.token("known-es")).json()["name"] == "Colin Reeves"
    assert api.as_("business_manager").get("/api/v1/me").status_code == 200
    with unit_of_work(write=False, url=db_url) as session:
        actions = set(session.exec(select(AuditEvent.action)))
    assert {"identity_provider.created", "user.oidc_linked"} <= actions
    # No longer trusted: the same token is refused on the next request.
    assert api.as_("partnership_admin").delete("/api/v1/partnership/identity-providers/test-idp").status_code == 204
    refused(me(api, provider.token("known")), "not trusted here")


def test_expired_wrong_audience_wrong_issuer_and_tampered_tokens_are_refused(
    api: Api, provider: Provider, untrusted: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(api, provider)
    short = provider.token("short")
    assert me(api, short).status_code == 200
    setting(monkeypatch, "OIDC_LEEWAY_SECONDS", "0")
    expires_at = json.loads(base64.urlsafe_b64decode(short.split(".")[1] + "=="))["exp"]
    time.sleep(max(0.0, expires_at - time.time() + 0.2))
    refused(me(api, short), "expired")
    refused(me(api, provider.token("known", resource="api://some-other-service")), "not meant for this service")
    refused(me(api, untrusted.token("known")), "not trusted here")
    header, payload, signature = provider.token("known").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["email"] = "admin@northshire.example"
    refused(me(api, f"{header}.{b64(json.dumps(claims).encode())}.{signature}"), "Signature verification failed")


def test_none_and_hmac_with_the_public_key_are_refused(api: Api, provider: Provider) -> None:
    trust(api, provider)
    _, payload, _ = provider.token("known").split(".")
    none_header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    refused(me(api, f"{none_header}.{payload}."), "'none' are not accepted")
    # The classic confusion: HS256 "signed" with the provider's public key, which anyone can fetch.
    rsa_jwk = next(k for k in provider.public_keys if k["kty"] == "RSA")
    pem = (
        RSAAlgorithm.from_jwk(json.dumps(rsa_jwk)).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )  # type: ignore[union-attr]
    )
    for kid in (rsa_jwk["kid"], None):
        header = b64(json.dumps({"alg": "HS256", "typ": "JWT", **({"kid": kid} if kid else {})}).encode())
        forged = b64(hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        refused(me(api, f"{header}.{payload}.{forged}"), "'HS256' are not accepted")


def test_a_rotated_key_is_picked_up_without_restarting_the_service(api: Api, provider: Provider) -> None:
    trust(api, provider)
    before = provider.token("known")
    assert me(api, before).status_code == 200
    provider.restart()  # same issuer and port, new keys with new key ids
    after = provider.token("known")
    assert (
        json.loads(base64.urlsafe_b64decode(after.split(".")[0] + "=="))["kid"]
        != json.loads(base64.urlsafe_b64decode(before.split(".")[0] + "=="))["kid"]
    )
    assert me(api, after).status_code == 200, me(api, after).text
    refused(me(api, before), "is not one of")  # the retired key is gone from the provider's key set


def test_unknown_kids_refetch_keys_at_most_once_per_floor(
    api: Api, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust(api, provider)
    setting(monkeypatch, "OIDC_KEYS_REFETCH_FLOOR_SECONDS", "300")
    good = provider.token("known")
    assert me(api, good).status_code == 200
    fetches = KEYS.fetches
    _, payload, signature = good.split(".")
    for attempt in range(5):
        header = b64(json.dumps({"alg": "RS256", "kid": f"invented-{attempt}"}).encode())
        refused(me(api, f"{header}.{payload}.{signature}"), "is not one of")
    assert KEYS.fetches - fetches <= 1
    assert me(api, good).status_code == 200


def test_an_unknown_user_is_refused_until_just_in_time_provisioning_creates_them_with_mapped_roles(
    api: Api, provider: Provider, db_url: str
) -> None:
    trust(api, provider)
    refused(me(api, provider.token("newcomer")), "ask your partnership admin")
    assert users_with_email(db_url, "new.worker@northshire.example") == []
    # An address the provider calls unverified never takes over the LIF user who has it.
    refused(me(api, provider.token("unverified")), "subject unverified signed in")
    assert users_with_email(db_url, "chair@northshire.example")[0].oidc_subject is None
    trust(api, provider, provisioning="just_in_time")
    token = provider.token("newcomer")
    first = me(api, token)
    assert first.status_code == 200, first.text
    assert first.json()["roles"] == ["business_manager"]
    assert first.json()["agency"] == "police"
    assert first.json()["name"] == "Nia Worker"
    assert me(api, token).json()["user_id"] == first.json()["user_id"]
    [user] = users_with_email(db_url, "new.worker@northshire.example")
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "newcomer")
    # No mapped role: nothing is created; and a deactivated user stays refused.
    refused(me(api, provider.token("roleless")), "maps to a LIF role")
    assert users_with_email(db_url, "nobody@northshire.example") == []
    with unit_of_work(url=db_url) as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.active = False
        session.add(stored)
    refused(me(api, token), "deactivated")
    header, payload, _ = token.split(".")
    refused(me(api, f"{header}.{payload}.{b64(b'forged')}"), "Signature verification failed")  # no oracle
    # A deactivated LIF user is not linked on a first sign-in either.
    with unit_of_work(url=db_url) as session:
        [chair] = session.exec(select(User).where(User.email == "chair@northshire.example"))
        chair.active = False
        session.add(chair)
    refused(me(api, provider.token("chair")), "deactivated")
    assert users_with_email(db_url, "chair@northshire.example")[0].oidc_subject is None


def test_the_environment_can_configure_a_single_provider(
    api: Api, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "ISSUER": provider.issuer,
        "AUDIENCE": AUDIENCE,
        "PARTNERSHIP": "northshire",
        "ROLES_CLAIM": "groups",
        "ROLE_MAP": json.dumps({"g-admin-platform": ["platform_admin"]}),
        "PROVISIONING": "just_in_time",
    }.items():
        setting(monkeypatch, f"OIDC_{name}", value)
    assert me(api, provider.token("known")).json()["name"] == "Bea Morgan"
    # The hosting team's environment may grant platform_admin; a partnership's own provider may not.
    assert me(api, provider.token("grabber")).json()["roles"] == ["platform_admin"]


def test_plain_http_is_refused_off_loopback_and_private_addresses_in_production(
    api: Api, provider: Provider, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    def as_if_from(issuer: str) -> str:  # a real token whose iss is changed (so its signature no longer holds)
        header, payload, signature = provider.token("known").split(".")
        claims = {**json.loads(base64.urlsafe_b64decode(payload + "==")), "iss": issuer}
        return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"

    admin = api.as_("partnership_admin")
    url = "/api/v1/partnership/identity-providers/plain"
    body = {"issuer": "http://idp.example.com/tenant", "audience": AUDIENCE}
    response = admin.request("PUT", url, json=body)
    assert response.status_code == 422, response.text
    assert "loopback" in response.json()["errors"][0]["message"]
    setting(monkeypatch, "SECRET_KEY", "x" * 40)
    setting(monkeypatch, "ENVIRONMENT", "production")
    response = admin.request("PUT", url, json={**body, "issuer": provider.issuer})
    assert response.status_code == 422, response.text
    assert "https in production" in response.json()["errors"][0]["message"]
    # In production a partnership's provider must be public: the service is not pointed at its own network.
    for internal in ("https://10.0.0.1/tenant", "https://localhost/tenant", "https://[::ffff:169.254.169.254]/"):
        response = admin.request("PUT", url, json={**body, "issuer": internal})
        assert response.status_code == 422, response.text
        assert "not a public address" in response.json()["errors"][0]["message"]
    # ... checked again when keys are fetched (here a row stored before production was switched on).
    tls_loopback = provider.issuer.replace("http://", "https://")
    with unit_of_work(url=db_url) as session:
        partnership_id = session.exec(select(Partnership.id).where(Partnership.key == "northshire")).one()
        session.add(IdentityProvider(partnership_id=partnership_id, key="old", issuer=tls_loopback, audience=AUDIENCE))
    fetches = KEYS.fetches
    refused(me(api, as_if_from(tls_loopback)), "not a public address")
    assert KEYS.fetches == fetches + 1
    setting(monkeypatch, "ENVIRONMENT", "development")
    # Configured from the environment (not checked at start outside production): refused before any request.
    issuer = "http://idp.example.com/tenant"
    for name, value in {"ISSUER": issuer, "AUDIENCE": AUDIENCE, "PARTNERSHIP": "northshire"}.items():
        setting(monkeypatch, f"OIDC_{name}", value)
    fetches = KEYS.fetches
    refused(me(api, as_if_from(issuer)), "must use https")
    assert KEYS.fetches == fetches + 1  # the attempt counted, and was refused before it left the machine
    # The provider's discovery document must name the issuer it was fetched for.
    alias = provider.issuer.replace("127.0.0.1", "localhost")
    setting(monkeypatch, "OIDC_ISSUER", alias)
    refused(me(api, as_if_from(alias)), "names another issuer")


def test_a_signed_in_write_takes_the_outbox_subscriptions_from_the_cache(
    api: Api, provider: Provider, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The version read by the sign-in's own short session is handed on to the request's (identity/oidc/signin.py).
    setting(monkeypatch, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    trust(api, provider)
    token = provider.token("known")
    assert me(api, token).status_code == 200  # the first sign-in links the subject
    subscribed = api.as_("partnership_admin").post(
        "/api/v1/webhooks/subscriptions", json={"url": "http://127.0.0.1:9/hook", "event_types": ["case.opened"]}
    )
    assert subscribed.status_code == 201, subscribed.text
    body = {
        "case_type": "cspr",
        "title": "Review",
        "subject_pseudonym": "Child K",
        "data": {"aware_at": today(), "incident_type": "serious_harm"},
        "members": api.review_team(),
    }
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(2):  # the first fills the cache, the second is answered by it
        with sql_statements(db_url) as statements:
            opened = api.client.post("/api/v1/cases", json=body, headers=headers)
        assert opened.status_code == 201, opened.text
    assert subscription_reads(statements) == []
    with unit_of_work(write=False, url=db_url) as session:
        assert len(session.exec(select(WebhookDelivery)).all()) == 2

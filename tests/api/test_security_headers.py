"""Security headers on every answer (errors too); CORS closed by default and open only to configured origins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from service.config import Settings
from tests.conftest import Api

ORIGIN = "https://app.northshire.example"


def _client(settings: Settings, **changes: object) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update=changes)), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def production(settings: Settings) -> Iterator[TestClient]:
    yield from _client(settings, environment="production", secret_key="s" * 40, cors_origins=[ORIGIN])


def test_every_answer_carries_the_headers_and_api_answers_are_not_stored(api: Api) -> None:
    answers = {
        "ok": api.as_("business_manager").get("/api/v1/me"),
        "unauthenticated": api.client.get("/api/v1/me"),
        "not found": api.as_("business_manager").get("/api/v1/cases/00000000-0000-0000-0000-000000000000"),
        "too large": api.as_("business_manager").post(
            "/api/v1/cases", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"}
        ),
        "no such endpoint": api.client.get("/api/v1/nowhere"),
    }
    assert [a.status_code for a in answers.values()] == [200, 401, 404, 413, 404]
    for name, answer in answers.items():
        assert answer.headers["x-content-type-options"] == "nosniff", name
        assert answer.headers["referrer-policy"] == "no-referrer", name
        assert answer.headers["x-frame-options"] == "DENY", name
        assert answer.headers["content-security-policy"] == "frame-ancestors 'none'", name
        assert answer.headers["cache-control"] == "no-store", name
        assert "strict-transport-security" not in answer.headers, name  # not production
    probe = api.client.get("/health/live")
    assert probe.headers["x-frame-options"] == "DENY" and "cache-control" not in probe.headers


def test_cors_is_closed_by_default(api: Api) -> None:
    preflight = api.client.options("/api/v1/me", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
    answer = api.as_("business_manager").get("/api/v1/me", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in answer.headers


def test_production_sends_hsts_and_cors_answers_configured_origins_only(
    production: TestClient, tokens: dict[str, str]
) -> None:
    preflight = production.options(
        "/api/v1/me",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    answer = production.get(
        "/api/v1/me", headers={"Origin": ORIGIN, "Authorization": f"Bearer {tokens['business_manager']}"}
    )
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "X-Request-ID" in answer.headers["access-control-expose-headers"]
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    stranger = production.get("/api/v1/me", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers
    assert stranger.headers["strict-transport-security"].startswith("max-age=")

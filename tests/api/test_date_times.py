"""One date-time format in REST responses and webhook payloads: RFC 3339, UTC, `Z`, six fractional digits."""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel, PlainSerializer
from sqlmodel import select

from api.app import create_app
from api.schemas.webhooks import ActionEvent, CaseEvent, PingEvent, TaskEvent
from service.config import Settings, get_settings
from service.db.session import unit_of_work
from service.engine.functions import today
from service.models import WebhookEvent
from service.timestamps import rfc3339
from tests.conftest import Api
from tests.helpers import open_case, open_tasks

THE_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
LOOKS_LIKE_A_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def test_the_format_is_utc_with_z_and_always_six_fractional_digits() -> None:
    london_summer = dt.timezone(dt.timedelta(hours=1))
    assert rfc3339(dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)) == "2026-12-01T14:00:00.000000Z"
    assert rfc3339(dt.datetime(2026, 7, 1, 9, 30, 0, 120, tzinfo=london_summer)) == "2026-07-01T08:30:00.000120Z"
    assert rfc3339(dt.datetime(2026, 12, 1, 14, 0, 0, 5)) == "2026-12-01T14:00:00.000005Z"  # naive: stored UTC
    assert rfc3339(dt.datetime(5, 1, 1, tzinfo=dt.UTC)) == "0005-01-01T00:00:00.000000Z"  # fixed width, so it sorts


def _bare_datetimes(annotation: Any, where: str, seen: set[type]) -> list[str]:
    """Places under ``annotation`` where a datetime is serialised without the shared serialiser."""
    if annotation is dt.datetime:
        return [where]
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        if base is dt.datetime:
            return [] if any(isinstance(m, PlainSerializer) and m.func is rfc3339 for m in metadata) else [where]
        return _bare_datetimes(base, where, seen)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return []
        seen.add(annotation)
        found = []
        for name, info in annotation.model_fields.items():
            if info.annotation is dt.datetime:
                serialisers = [m for m in info.metadata if isinstance(m, PlainSerializer) and m.func is rfc3339]
                if not serialisers:
                    found.append(f"{annotation.__name__}.{name}")
                continue
            found += _bare_datetimes(info.annotation, f"{annotation.__name__}.{name}", seen)
        return found
    return [hit for arg in typing.get_args(annotation) for hit in _bare_datetimes(arg, where, seen)]


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router
            found += _api_routes(route.original_router.routes)
    return found


def test_every_date_time_a_response_or_webhook_carries_uses_the_shared_serialiser(settings: Settings) -> None:
    seen: set[type] = set()
    bare: list[str] = []
    routes = [r for r in _api_routes(create_app(settings).routes) if r.response_model is not None]
    assert len(routes) > 50
    for route in routes:
        bare += _bare_datetimes(route.response_model, route.path, seen)
    for payload in (TaskEvent, CaseEvent, ActionEvent, PingEvent):
        bare += _bare_datetimes(payload, payload.__name__, seen)
    assert not bare, f"date-times serialised outside api.schemas.common.Instant: {sorted(set(bare))}"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_a_task_created_at_reads_the_same_in_the_api_and_in_its_webhook(
    api: Api, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()
    admin = api.as_("partnership_admin")
    subscribed = admin.post(
        "/api/v1/webhooks/subscriptions",
        json={"url": "http://127.0.0.1:9/hooks", "event_types": ["task.created", "case.opened"]},
    )
    assert subscribed.status_code == 201, subscribed.text
    case = open_case(api, aware_at=today())
    (notify,) = open_tasks(api, case["id"], "Task_NotifyPanel")
    task = api.as_("business_manager").get(f"/api/v1/tasks/{notify['id']}").json()
    with unit_of_work(write=False, url=db_url) as session:
        bodies = [json.loads(b) for b in session.exec(select(WebhookEvent.body)).all()]
    (payload,) = [b for b in bodies if b["type"] == "task.created" and b["data"]["task_id"] == notify["id"]]
    assert payload["data"]["created_at"] == task["created_at"]
    assert payload["data"]["due_at"] == task["due_at"] and task["due_at"] is not None
    for body in bodies:
        assert THE_FORMAT.match(body["timestamp"]), body["timestamp"]

    # Every date-time in these responses (on SQLite too, which stores no zone) is in the one format.
    responses = [
        task,
        api.as_("business_manager").get(f"/api/v1/cases/{case['id']}").json(),
        api.as_("business_manager").get("/api/v1/tasks", params={"case_id": case["id"]}).json(),
        admin.get("/api/v1/webhooks/subscriptions").json(),
        admin.get(f"/api/v1/webhooks/subscriptions/{subscribed.json()['subscription']['id']}/deliveries").json(),
    ]
    moments = [s for r in responses for s in _strings(r) if LOOKS_LIKE_A_DATE_TIME.match(s)]
    assert len(moments) > 10
    assert [m for m in moments if not THE_FORMAT.match(m)] == []

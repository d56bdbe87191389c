"""Each router turns away at once the paths none of its routes can match (api/routing.py), and only those: the
application routes every path exactly as it would if each router were asked the long way."""

from __future__ import annotations

import functools
import inspect
import re
from typing import Any

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from api.app import create_app
from api.conditional import is_cacheable
from api.routing import ResourceRouter
from service.config import Settings

SAMPLE_ID = "0b0e6f1e-3b1c-4a5e-9d3e-3a3f6d1c2b4a"


def _samples(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) for every API route's own path, with a slash added, and a few paths no route has."""
    samples = [("GET", "/api/v1/nothing-here"), ("GET", "/api/v1"), ("GET", "/"), ("POST", "/api/v1/casesx")]
    for route in _api_routes(app):
        path = re.sub(r"\{[^}:]+:path\}", "a/b", route.path)
        path = re.sub(r"\{[^}]+\}", SAMPLE_ID, path)
        for method in sorted(route.methods):
            samples += [(method, path), (method, path + "/"), ("DELETE", path)]
    return samples


def _api_routes(app: FastAPI) -> list[APIRoute]:
    """Every API route of an included router."""
    return [
        route
        for entry in app.router.routes
        for route in getattr(getattr(entry, "original_router", None), "routes", [])
        if isinstance(route, APIRoute)
    ]


def _first_match(app: FastAPI, method: str, path: str, root_path: str = "") -> tuple[Any, Match]:
    """The application's entry that takes the request (Starlette: the first full match, else the first partial)."""
    scope = {"type": "http", "method": method, "path": root_path + path, "root_path": root_path, "headers": []}
    partial = None
    for entry in app.router.routes:
        match, _ = entry.matches(scope)
        if match == Match.FULL:
            return entry, match
        if match == Match.PARTIAL and partial is None:
            partial = entry
    return partial, Match.PARTIAL if partial is not None else Match.NONE


@pytest.mark.parametrize("root_path", ["", "/lif"])
def test_every_path_reaches_the_same_route_as_without_the_quick_check(
    monkeypatch: pytest.MonkeyPatch, root_path: str
) -> None:
    app = create_app(Settings(database_url="sqlite:///unused.db"))
    samples = _samples(app)
    quick = [_first_match(app, method, path, root_path) for method, path in samples]
    routes = sum(len(route.methods) for route in _api_routes(app))
    assert sum(match == Match.FULL for _, match in quick) >= routes  # each route's own path reaches a route
    monkeypatch.setattr(ResourceRouter, "_route_beginnings", lambda self: ())
    long_way = [_first_match(app, method, path, root_path) for method, path in samples]
    assert quick == long_way


def _names(call: Any) -> str:
    while isinstance(call, functools.partial):
        call = call.func
    return str(getattr(call, "__name__", call))


def test_a_def_endpoint_costs_one_hand_off_to_a_worker_thread(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a request sends to worker threads: authenticating, the endpoint, ending the session; the check of the
    endpoint's return value against its response model no longer goes there a second time."""
    handed: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(_names(func))
        return await run_sync(func, *args, **kwargs)

    reader = api.as_("business_manager")
    assert reader.get("/api/v1/tasks").status_code == 200  # the app has started and the token is known
    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    response = reader.get("/api/v1/tasks")
    assert response.status_code == 200 and "items" in response.json()
    assert handed == ["_any_principal", "list_tasks", "_finish"]


def test_the_wrapped_endpoints_keep_their_names_and_marks() -> None:
    app = create_app(Settings(database_url="sqlite:///unused.db"))
    routes = _api_routes(app)
    wrapped = [route for route in routes if inspect.unwrap(route.endpoint) is not route.endpoint]
    assert len(wrapped) > 100  # nearly every endpoint is a plain def
    for route in wrapped:
        assert inspect.iscoroutinefunction(route.endpoint)
        assert route.endpoint.__name__ == inspect.unwrap(route.endpoint).__name__ == route.name
    cacheable = {route.name for route in routes if is_cacheable(route.endpoint)}
    assert {"get_definition", "get_definition_xml", "get_definition_svg"} <= cacheable

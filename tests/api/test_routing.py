"""Each router turns away at once the paths none of its routes can match (api/routing.py), and only those: the
application routes every path exactly as it would if each router were asked the long way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from api.app import create_app
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

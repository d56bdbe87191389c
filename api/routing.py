"""The service's routers: each turns away, in one string comparison, every request none of its routes can match,
and runs a plain (``def``) endpoint in one hand-off to a worker thread instead of two."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

# The function Starlette's own routes match with (the path below any root_path), so a router turns away exactly
# the paths its routes would.
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match
from starlette.types import Scope


class OneHandOffRoute(APIRoute):
    """A route that runs a ``def`` endpoint in a worker thread itself, so that FastAPI sees a coroutine.

    FastAPI hands a ``def`` endpoint to a worker thread, and then hands the check of its return value against the
    response model to a worker thread again; each hand-off costs about 0.1 ms. The endpoints do their I/O in the
    thread (the database) and return models they have built, whose check is quick, so it runs on the event loop.
    The wrapper keeps the endpoint's name, signature, annotations' module and marks (``functools.wraps``), so the
    parameters, the OpenAPI contract and ``@cacheable`` are as they were (tests/api/test_routing.py holds them so).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _in_worker_thread(endpoint), **kwargs)


def _in_worker_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    plain = inspect.isfunction(endpoint) and not (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
    )
    if not plain:
        return endpoint

    @functools.wraps(endpoint)
    async def in_worker_thread(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return in_worker_thread


class ResourceRouter(APIRouter):
    """An APIRouter whose ``matches`` first checks the path against its routes' fixed beginnings. Include it with no
    prefix of its own (api/app.py): the beginnings are its routes' paths as they are declared.

    The application tries its routers in turn, and asking one whether a path is its own walks every route in it
    (about 3 µs a route in FastAPI's wrappers; the service has some 130): the dashboard, tried last, spent 0.4 ms
    per request being looked for. A route can match only a path that starts with the part of its own path before
    the first parameter, so a router whose routes all have such a part can say no to any other path at once.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(route_class=OneHandOffRoute, **kwargs)

    _beginnings: tuple[str, ...] = ()
    _beginnings_of: int = -1  # how many routes the beginnings were taken from (routes are only ever added)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        beginnings = self._route_beginnings()
        if beginnings and not get_route_path(scope).startswith(beginnings):
            return Match.NONE, {}
        return super().matches(scope)

    def _route_beginnings(self) -> tuple[str, ...]:
        """The routes' paths up to their first parameter, or () when a route is not a plain API route."""
        if self._beginnings_of != len(self.routes):
            routes = [route for route in self.routes if isinstance(route, APIRoute)]
            # Without a trailing slash: "/x" must still reach a route "/x/", which redirects it (redirect_slashes).
            beginnings = {route.path.split("{", 1)[0].rstrip("/") for route in routes}
            plain = 0 < len(routes) == len(self.routes)
            # A mount, an included router or a route that begins with a parameter: match the long way.
            self._beginnings = tuple(sorted(beginnings)) if plain and "" not in beginnings else ()
            self._beginnings_of = len(self.routes)
        return self._beginnings

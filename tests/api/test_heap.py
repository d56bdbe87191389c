"""The served app takes its start-up heap out of the garbage collector's walks (api/heap.py); a test's app does not."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from service.config import Settings
from tests.conftest import forget_built_apps


@pytest.fixture
def unfrozen() -> Iterator[None]:
    # This process goes on to run other tests: leave its collector as every other test finds it.
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


def test_the_served_app_freezes_what_exists_once_it_has_started(settings: Settings, unfrozen: None) -> None:
    app = create_app(settings, serving=True)
    assert gc.get_freeze_count() == 0
    with TestClient(app):
        assert gc.get_freeze_count() > 10_000
        # The app's routes are among the frozen: the oldest generation, which a full collection walks, lacks them.
        route = app.router.routes[0]
        assert gc.is_tracked(route)
        assert all(obj is not route for obj in gc.get_objects(generation=2))


def test_an_app_built_for_a_test_leaves_the_collector_alone(settings: Settings, unfrozen: None) -> None:
    with TestClient(create_app(settings)):
        assert gc.get_freeze_count() == 0


def test_the_apps_tests_build_are_collected_once_forgotten(settings: Settings) -> None:
    # Hundreds of tests each build an app; kept, they made every full collection walk millions of objects.
    built = []
    for _ in range(2):
        app = create_app(settings)
        with TestClient(app) as client:
            assert client.get("/health/live").status_code == 200
        built.append(weakref.ref(app))
        del app, client
    forget_built_apps()
    gc.collect()
    assert [ref() for ref in built] == [None, None]

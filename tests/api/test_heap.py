"""The served app takes its start-up heap out of the garbage collector's walks (api/heap.py); a test's app does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from service.config import Settings


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

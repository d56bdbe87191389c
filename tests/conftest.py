"""Test fixtures: a real database per test (SQLite file or PostgreSQL), built by Alembic migrations.

Select the database with LIF_TEST_DATABASE=sqlite (default) or LIF_TEST_DATABASE=postgresql
(LIF_TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres, is used to create a
throwaway database). Under CI=true an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import copy
import gc
import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.dependencies import models as fastapi_dependency_models

# starlette suggests a package (httpx2) we do not use; its TestClient works as documented with httpx.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.app import create_app
from service.cli import migrate
from service.config import REPO_ROOT, Settings, get_settings
from service.db.engine import get_engine
from service.db.session import unit_of_work
from service.demo import seed
from service.engine import functions
from service.identity import directory
from service.identity.tokens import create_token
from service.outbox import subscriptions as subscription_cache

FIXTURES = Path(__file__).parent / "fixtures"
BACKEND = os.environ.get("LIF_TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("LIF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin_dsn(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


# FastAPI keeps, per process, three caches (4,096 entries each) of how each endpoint and dependency is to be called.
# An endpoint can hold its app (the docs page's does, in its closure), so every app a test built stayed alive: after
# 200 tests, 3.4 million objects, and each full collection walked them all (2.5 s of the processor at the end,
# 17 s of a run of 85 s; and a test timing its own work with the processor clock failed when one fell inside it).
# A served process builds one app; only the tests build hundreds. tests/api/test_heap.py checks that they go.
_FASTAPI_CALL_CACHES = [
    cache
    for name in ("_is_gen_callable_cached", "_is_async_gen_callable_cached", "_is_coroutine_callable_cached")
    if (cache := getattr(fastapi_dependency_models, name, None)) is not None
]


# And the collector runs less often than CPython's default (700, 10, 10): a test allocates hundreds of thousands of
# objects (an app, a migrated database, a diagram parsed), which at the default thresholds were walked again and again
# before they died, and reached the oldest generation, whose collections walk everything (on tests/api: collections
# 23.5 s of 98 s at the defaults, 8.2 s of 76 s at these; full collections 44 then 6).
gc.set_threshold(20_000, 20, 20)


def forget_built_apps() -> None:
    """Let the apps built so far be collected (FastAPI's call caches are all that keeps them)."""
    for cache in _FASTAPI_CALL_CACHES:
        cache.cache_clear()


@pytest.fixture(autouse=True)
def _apps_left_to_the_collector() -> Iterator[None]:
    yield
    forget_built_apps()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Tests that change LIF_* variables must not leak cached settings into the next test."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database; each test gets a fresh copy of it."""
    if BACKEND == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.db"
        url = f"sqlite:///{path}"
        migrate(url)
        get_engine(url).dispose()
        yield str(path)
        return
    name = f"lif_test_{os.getpid()}"
    try:
        with psycopg.connect(_admin_dsn(POSTGRES_ADMIN_URL), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    get_engine(url).dispose()
    with psycopg.connect(_admin_dsn(POSTGRES_ADMIN_URL), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed_demo(url: str) -> dict[str, str]:
    """The demo partnership and a second partnership ('other'), as every API test starts from."""
    with unit_of_work(url=url) as session:
        result = seed(session)
        other = directory.create_partnership(session, key="elsewhere", name="Elsewhere SAB", kind="adults")
        directory.add_agency(session, partnership_id=other.id, code="police", name="Elsewhere Police", kind="police")
        user = directory.add_user(
            session,
            partnership_id=other.id,
            name="Other BM",
            email="bm@elsewhere.example",
            roles=["business_manager", "partnership_admin"],
        )
        result["other"] = create_token(session, user_id=user.id, name="test")
    return result


def _public_tables(conn: Any) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'")
        )
    ]


def _truncate(conn: Any) -> None:
    # TRUNCATE does not fire the audit log's row triggers (which refuse DELETE), by design.
    conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in _public_tables(conn)) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def seeded_template(database_template: str) -> Iterator[dict[str, str]]:
    """The demo seeded once per session; tests that ask for ``tokens`` start from a copy of it.

    Seeding costs a hundred-odd statements, and most tests want it; copying the seeded state is much cheaper. On
    SQLite the copy is a second template file; on PostgreSQL the seeded rows are kept in a ``seed_snapshot`` schema
    and put back after each TRUNCATE (identity sequences moved past them).
    """
    if BACKEND == "sqlite":
        seeded = Path(database_template).with_name("seeded.db")
        shutil.copyfile(database_template, seeded)
        url = f"sqlite:///{seeded}"
        result = _seed_demo(url)
        get_engine(url).dispose()
        yield result
        return
    with get_engine(database_template).begin() as conn:
        _truncate(conn)  # an earlier test may have left rows behind
    result = _seed_demo(database_template)
    with get_engine(database_template).begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS seed_snapshot CASCADE"))
        conn.execute(text("CREATE SCHEMA seed_snapshot"))
        for table in _public_tables(conn):
            if conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{table}")')).scalar():
                conn.execute(text(f'CREATE TABLE seed_snapshot."{table}" AS TABLE "{table}"'))
    yield result


def _restore_seed_snapshot(conn: Any) -> None:
    """Put the seeded rows back (PostgreSQL): foreign keys and triggers off for the copy, sequences moved on."""
    snapshot = [
        row[0] for row in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname='seed_snapshot'"))
    ]
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    for table in snapshot:
        conn.execute(text(f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM seed_snapshot."{table}"'))
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": f'"{table}"'}).scalar()
        if sequence:
            conn.execute(text(f'SELECT setval(:s, (SELECT max(id) FROM "{table}"))'), {"s": sequence})
    conn.execute(text("SET LOCAL session_replication_role = origin"))


@pytest.fixture
def db_url(database_template: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, migrated database for one test (already seeded with the demo when the test asks for ``tokens``)."""
    wants_seed = "tokens" in request.fixturenames
    # On PostgreSQL every test reuses one URL and the seeded partnership ids, with versions set back to the seed's.
    subscription_cache.clear_cache()
    if wants_seed:
        request.getfixturevalue("seeded_template")
    if BACKEND == "sqlite":
        path = tmp_path / "lif.db"
        source = Path(database_template).with_name("seeded.db") if wants_seed else Path(database_template)
        shutil.copyfile(source, path)
        url = f"sqlite:///{path}"
        yield url
        get_engine(url).dispose()
        return
    url = database_template
    engine = get_engine(url)
    with engine.begin() as conn:
        _truncate(conn)
        if wants_seed:
            _restore_seed_snapshot(conn)
    yield url


@pytest.fixture
def bpmn_dir(tmp_path: Path) -> Path:
    """The shipped diagrams plus the test-only probes in tests/fixtures."""
    folder = tmp_path / "bpmn"
    folder.mkdir()
    for source in [*(REPO_ROOT / "bpmn").glob("*.bpmn"), *FIXTURES.glob("*_probe.bpmn")]:
        shutil.copyfile(source, folder / source.name)
    return folder


@pytest.fixture
def settings(db_url: str, bpmn_dir: Path, tmp_path: Path) -> Settings:
    """Settings pointing at this test's database, diagrams and evidence folder."""
    return Settings(database_url=db_url, bpmn_dir=bpmn_dir, evidence_dir=tmp_path / "evidence")


@pytest.fixture
def tokens(db_url: str, seeded_template: dict[str, str]) -> dict[str, str]:
    """The demo partnership's tokens by role, plus 'other' for a second partnership's business manager.

    ``db_url`` already holds the seeded demo (see ``seeded_template``), so these tokens work in it.
    """
    return dict(seeded_template)


class Api:
    """A TestClient that speaks as a role: ``api.as_("business_manager").get(...)``."""

    def __init__(self, client: TestClient, tokens: dict[str, str]):
        self.client = client
        self.tokens = tokens
        self._user_ids: dict[str, str] = {}

    def as_(self, role: str) -> _RoleClient:
        return _RoleClient(self.client, self.tokens[role])

    def user_id(self, role: str) -> str:
        """The user id behind a token (from GET /me)."""
        if role not in self._user_ids:
            self._user_ids[role] = self.as_(role).get("/api/v1/me").json()["user_id"]
        return self._user_ids[role]

    def review_team(self) -> list[dict[str, str]]:
        """The demo's case review group member and independent reviewer as members of a new case."""
        return [
            {"user_id": self.user_id("case_review_group_member"), "case_role": "panel_member"},
            {"user_id": self.user_id("independent_reviewer"), "case_role": "independent_reviewer"},
        ]


class _RoleClient:
    def __init__(self, client: TestClient, token: str):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.request(method, url, headers={**self.headers, **(headers or {})}, **kwargs)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)


# The OpenAPI document each worker has built, by the settings that went into it (see _known_document).
_DOCUMENTS: dict[str, dict[str, Any]] = {}
_PER_TEST_SETTINGS = {"database_url", "bpmn_dir", "evidence_dir"}


def _known_document(app: FastAPI, settings: Settings) -> FastAPI:
    """Serve the OpenAPI document this worker already built for the same settings (a copy, built on first ask).

    Building it takes about a second and depends on the code and the settings, not on the test's database or
    folders; some forty tests read it, each from an app of its own.
    """
    build = app.openapi
    key = settings.model_dump_json(exclude=_PER_TEST_SETTINGS)

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            if key not in _DOCUMENTS:
                _DOCUMENTS[key] = copy.deepcopy(build())
            app.openapi_schema = copy.deepcopy(_DOCUMENTS[key])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The app on this test's database (worker not running: tests fire timers explicitly)."""
    with TestClient(_known_document(create_app(settings), settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, tokens: dict[str, str]) -> Api:
    """Role-aware API client over the demo partnership."""
    return Api(client, tokens)


@pytest.fixture
def recorded_dates_may_be_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that walk a lifecycle through a calendar still ahead of us (Christmas and month ends in 2027):
    the forms' not-in-the-future rule judges their dates as if that calendar had already happened."""
    monkeypatch.setattr(functions, "today", lambda: "2099-12-31")


def unique() -> str:
    """A short unique string for test data."""
    return uuid.uuid4().hex[:8]

"""The FastAPI application: routers, problem+json errors, correlation ids, start-up."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import (
    conditional,
    docs_page,
    errors,
    heap,
    openapi_contract,
    openid_docs,
    problem_pages,
    security_headers,
    webhook_docs,
)
from api.body_limit import BodyLimit
from api.correlation import CorrelationId
from api.routers import (
    access_log,
    action_plans,
    admin,
    admin_partnerships,
    audits,
    cases,
    dashboard,
    data_protection,
    definitions,
    directory,
    health,
    identity_providers,
    learning,
    notifications,
    partnership,
    processes,
    reports,
    tasks,
    training,
    webhooks,
)
from service.actions.evidence_store import EvidenceStore
from service.config import Settings, get_settings
from service.db.checkpoints import Checkpointer
from service.db.session import unit_of_work
from service.identity.throttle import FailureLimiter
from service.jobs.worker import start_in_thread
from service.processes import registry
from service.processes.upload import MAX_DIAGRAM_BYTES

log = logging.getLogger("lif.api")

DESCRIPTION = """
LIF Service runs a safeguarding partnership's Learning and Improvement Framework as executable BPMN
processes: reviews, their statutory clocks, and the tasks people and partner agencies do.

**Authentication**: every `/api/v1` endpoint needs `Authorization: Bearer <token>`: a LIF token (`lif token
create`, or the tokens `lif demo --tokens-out` writes) or an access token from the partnership's OpenID Connect
provider (`openIdConnect`). **Errors** are `application/problem+json` (RFC 9457) with a
`correlation_id`. **Lists** use cursor pagination (`next_cursor` → `cursor`). **Tasks** carry an `ETag`;
send it back as `If-Match` when completing (only its version part is compared). Reads a front end polls (a case,
a task, case types, a process definition, its XML and diagrams) carry an `ETag`: send it as `If-None-Match` and get
`304` with no body while nothing changed.
`POST /cases` honours `Idempotency-Key`.
"""


def create_app_from_environment() -> FastAPI:
    """The factory `lif serve` gives uvicorn: settings from the environment."""
    settings = get_settings()
    return create_app(settings, run_worker=settings.run_worker_in_api, serving=True)


def create_app(settings: Settings | None = None, *, run_worker: bool = False, serving: bool = False) -> FastAPI:
    """Build the app. ``run_worker`` also runs the timer worker in a background thread. ``serving``: this is the
    process's one app for its lifetime (`lif serve`), so what exists once it has started is kept out of the
    garbage collector's way (api/heap.py); tests build many apps, and must not."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with unit_of_work(write=True, url=settings.database_url) as session:
            loaded = registry.sync_bundled(session, settings.bpmn_dir)
        log.info("loaded %d process definition(s) from %s", len(loaded), settings.bpmn_dir)
        app.state.definitions_loaded = True
        # Served: SQLite's log is checkpointed by a thread, not by the request filling it (service/db/checkpoints.py).
        checkpoints = Checkpointer(settings.database_url).start() if serving else None
        worker = start_in_thread(url=settings.database_url, evidence_dir=settings.evidence_dir) if run_worker else None
        if serving:
            heap.settle()
        try:
            yield
        finally:
            if worker is not None:
                worker[1].set()
                worker[0].join(timeout=10)
            if checkpoints is not None:
                checkpoints.stop()

    app = FastAPI(
        title="LIF Service",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # Relative: the service that served this document (behind any proxy, at any address).
        servers=[{"url": "/", "description": "This service"}],
        docs_url=None,  # served by docs_page, from installed files
        redoc_url=None,
        generate_unique_id_function=openapi_contract.operation_id,
        openapi_tags=[
            {"name": "cases", "description": "Reviews and other cases, with their statutory clocks."},
            {"name": "tasks", "description": "Work for people and partner agencies."},
            {
                "name": "dashboard",
                "description": "Morning counts for a partnership or an agency, each linking to its list.",
            },
            {"name": "processes", "description": "BPMN definitions and running instances."},
            {"name": "process owners", "description": "Validate, deploy, simulate, migrate and control processes."},
            {"name": "action plans", "description": "Recommendations, themes, actions, evidence, recurring themes."},
            {
                "name": "learning",
                "description": "Learning items round the loop: identified, disseminated, embedded, evaluated.",
            },
            {"name": "reports", "description": "Outputs owed to others, assembled from the data."},
            {"name": "audits", "description": "Section 11 self-assessment matrices and training needs coverage."},
            {
                "name": "training",
                "description": "Courses, trainees, refreshers, training events, selection and evaluation.",
            },
            {
                "name": "data protection",
                "description": "Retention per record class, legal holds, disposal (dry run, runs, the disposal log).",
            },
            {"name": "webhooks", "description": "Signed, guaranteed delivery of events to partner systems."},
            {"name": "notifications", "description": "E-mail notices and chases: what was sent, preferences, wording."},
            {"name": "identity", "description": "Who you are, machine tokens, the audit log."},
            {"name": "health", "description": "Probes (no authentication)."},
        ],
    )
    app.state.database_url = settings.database_url
    app.state.definitions_loaded = False
    app.state.evidence_store = EvidenceStore(settings.evidence_dir, max_bytes=settings.evidence_max_bytes)
    app.state.auth_limiter = FailureLimiter(
        limit=settings.auth_failure_limit,
        window_seconds=settings.auth_failure_window_seconds,
        max_keys=settings.auth_failure_tracked_keys,
    )
    errors.install(app)
    # Innermost of ours: a 304 still passes the correlation id and security headers on its way out.
    conditional.install(app)
    # Registered before the correlation id middleware, so it runs inside it and its 413 carries the id.
    app.add_middleware(
        BodyLimit,
        upload_limit=max(MAX_DIAGRAM_BYTES, settings.evidence_max_bytes),
        timeout_seconds=settings.body_timeout_seconds,
    )

    app.add_middleware(CorrelationId)

    # Added last, so outermost: even a 413 carries the security (and CORS) headers.
    security_headers.install(app, settings)

    for router in (
        health.router,
        processes.router,
        definitions.router,
        cases.router,
        tasks.router,
        action_plans.router,
        learning.router,
        audits.router,
        training.router,
        partnership.router,
        identity_providers.router,
        data_protection.router,
        webhooks.router,
        access_log.router,
        directory.router,
        admin.router,
        admin_partnerships.router,
        notifications.router,
        reports.router,
        dashboard.router,
    ):
        app.include_router(router)
    webhook_docs.install(app)
    problem_pages.install(app)
    openapi_contract.install(app)
    openid_docs.install(app, settings)
    docs_page.install(app)
    return app

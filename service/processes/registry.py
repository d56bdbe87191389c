"""Register BPMN files as definition versions (pinned by content hash) and serve parsed definitions."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import bindparam, desc, func, text
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from service import engine
from service.access.roles import ALL_ROLES
from service.errors import NotFound
from service.models import ProcessDefinition
from service.pagination import Page, paginate

_cache: dict[uuid.UUID, engine.LoadedDefinition] = {}
_cache_lock = threading.Lock()


def sync_bundled(session: Session, bpmn_dir: Path) -> list[ProcessDefinition]:
    """Validate every ``*.bpmn`` in ``bpmn_dir`` and register new content as a new version.

    Unchanged files reuse their existing version, so restarts do not create versions. An invalid
    bundled diagram stops start-up with every problem listed (raises ``engine.DefinitionInvalid``).
    """
    if session.get_bind().dialect.name == "postgresql":
        # Several API replicas may start together; let one register versions at a time.
        session.execute(text("SELECT pg_advisory_xact_lock(772201)"))
    files = [(path, path.read_bytes()) for path in sorted(bpmn_dir.glob("*.bpmn"))]
    digests = {path.stem: engine.content_hash(xml) for path, xml in files}
    # Every file's stored version in one query (a start-up, or a test's app, asked once per file).
    stored = {
        (row.process_key, row.content_hash): row
        for row in session.exec(
            select(ProcessDefinition)
            .options(defer(ProcessDefinition.bpmn_xml))  # type: ignore[arg-type]
            .where(
                col(ProcessDefinition.content_hash).in_(set(digests.values())),
                col(ProcessDefinition.partnership_id).is_(None),
            )
        )
    }
    versions = next_versions(session, digests, None)
    registered: list[ProcessDefinition] = []
    added: list[tuple[ProcessDefinition, engine.LoadedDefinition]] = []
    for path, xml in files:
        process_key = path.stem
        digest = digests[process_key]
        existing = stored.get((process_key, digest))
        if existing is not None:
            registered.append(existing)
            continue
        loaded = engine.load_definition(xml, process_id=process_key, source=path.name, known_roles=ALL_ROLES)
        row = ProcessDefinition(
            process_key=process_key,
            version=versions[process_key],
            name=loaded.name,
            content_hash=digest,
            source=path.name,
            bpmn_xml=xml.decode("utf-8"),
        )
        session.add(row)
        added.append((row, loaded))
        registered.append(row)
    session.flush()  # the new versions in one insert (each row made its id when built)
    for row, loaded in added:
        remember(row.id, loaded)
    return registered


def next_version(session: Session, process_key: str, partnership_id: uuid.UUID | None) -> int:
    """The next version number of a process for one owner: shared (``None``) or a partnership's own variants."""
    return next_versions(session, [process_key], partnership_id)[process_key]


def next_versions(session: Session, process_keys: Iterable[str], partnership_id: uuid.UUID | None) -> dict[str, int]:
    """``next_version`` of several processes of one owner, in one query."""
    keys = set(process_keys)
    owner = col(ProcessDefinition.partnership_id)
    latest = dict(
        session.exec(
            select(ProcessDefinition.process_key, func.max(ProcessDefinition.version))
            .where(
                col(ProcessDefinition.process_key).in_(keys),
                owner.is_(None) if partnership_id is None else owner == partnership_id,
            )
            .group_by(ProcessDefinition.process_key)
        ).all()
    )
    return {key: (latest.get(key) or 0) + 1 for key in keys}


def remember(definition_id: uuid.UUID, definition: engine.LoadedDefinition) -> None:
    """Cache a freshly validated definition under its stored id."""
    with _cache_lock:
        _cache[definition_id] = definition


# Built once (every new case asks; see docs/decisions.md on statements built once).
_LATEST = (
    select(ProcessDefinition)
    # The diagram's XML (tens of KB) is read only when the parsed definition is not cached yet (``loaded``).
    .options(defer(ProcessDefinition.bpmn_xml))  # type: ignore[arg-type]
    .where(
        ProcessDefinition.process_key == bindparam("process_key"),
        col(ProcessDefinition.partnership_id).is_(None)
        | (ProcessDefinition.partnership_id == bindparam("partnership_id")),
    )
    .order_by(col(ProcessDefinition.partnership_id).is_(None), desc(col(ProcessDefinition.version)))
)


def latest_definition(session: Session, process_key: str, partnership_id: uuid.UUID) -> ProcessDefinition:
    """The version new cases start on: the partnership's own newest variant, else the shared newest."""
    row = session.exec(_LATEST, params={"process_key": process_key, "partnership_id": partnership_id}).first()
    if row is None:
        raise NotFound(f"there is no process '{process_key}'")
    return row


def loaded(session: Session, definition_id: uuid.UUID) -> engine.LoadedDefinition:
    """The parsed definition of a stored version (parsed once per process, then cached)."""
    cached = _cache.get(definition_id)
    if cached is not None:
        return cached
    row = session.get(ProcessDefinition, definition_id)
    if row is None:
        raise NotFound(f"there is no process definition {definition_id}")
    parsed = engine.load_definition(
        row.bpmn_xml.encode("utf-8"), process_id=row.process_key, source=row.source, known_roles=None
    )
    with _cache_lock:
        _cache[definition_id] = parsed
    return parsed


def definitions_page(
    session: Session, partnership_id: uuid.UUID, *, key: str | None, cursor: str | None, limit: int
) -> Page[ProcessDefinition]:
    """The definition versions a partnership can see (shared ones and its own), in deployment order, one page."""
    query = select(ProcessDefinition).where(
        (col(ProcessDefinition.partnership_id).is_(None)) | (ProcessDefinition.partnership_id == partnership_id)
    )
    if key is not None:
        query = query.where(ProcessDefinition.process_key == key)
    return paginate(
        session,
        query,
        created_col=col(ProcessDefinition.created_at),
        id_col=col(ProcessDefinition.id),
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )


def visible_definitions(session: Session, partnership_id: uuid.UUID) -> list[ProcessDefinition]:
    """Every definition version a partnership can see: shared ones and its own."""
    return list(
        session.exec(
            select(ProcessDefinition)
            .where(
                (col(ProcessDefinition.partnership_id).is_(None)) | (ProcessDefinition.partnership_id == partnership_id)
            )
            # Shared versions first, then the partnership's own variants, each numbered from 1.
            .order_by(
                col(ProcessDefinition.process_key),
                col(ProcessDefinition.partnership_id).is_not(None),
                col(ProcessDefinition.version),
            )
        ).all()
    )


def visible_definition(session: Session, partnership_id: uuid.UUID, definition_id: uuid.UUID) -> ProcessDefinition:
    """One definition version, if this partnership may see it (else 404)."""
    row = session.get(ProcessDefinition, definition_id)
    if row is None or (row.partnership_id is not None and row.partnership_id != partnership_id):
        raise NotFound(f"there is no process definition {definition_id}")
    return row

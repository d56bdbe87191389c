"""Platform administration: the partnerships (tenants) on this deployment (platform admins)."""

from __future__ import annotations

from api.deps import LimitDep, PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.routing import ResourceRouter
from api.schemas.admin import PartnershipCreate, PartnershipCreated, PartnershipRead, PartnershipUpdate
from api.schemas.common import PROBLEM_RESPONSES, Page
from service.identity import admin
from service.models import Partnership

router = ResourceRouter(prefix="/api/v1/partnerships", tags=["identity"], responses=PROBLEM_RESPONSES)


def _read(row: Partnership) -> PartnershipRead:
    return PartnershipRead(id=row.id, key=row.key, name=row.name, kind=row.kind, created_at=row.created_at)


@router.get("")
def list_partnerships(
    session: SessionDep, principal: PrincipalDep, limit: LimitDep, cursor: str | None = None
) -> Page[PartnershipRead]:
    """Every partnership on the platform (platform admins)."""
    page = admin.list_partnerships(session, principal, cursor=cursor, limit=limit)
    return Page[PartnershipRead](items=[_read(p) for p in page.items], next_cursor=page.next_cursor)


@router.post("", status_code=201, responses=CREATED)
def create_partnership(
    body: PartnershipCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> PartnershipCreated:
    """Onboard a partnership, optionally with its first partnership admin, whose token is shown this once."""
    first = admin.FirstAdmin(name=body.first_admin.name, email=body.first_admin.email) if body.first_admin else None
    row, token = admin.create_partnership(
        session, principal, key=body.key, name=body.name, kind=body.kind, first_admin=first
    )
    # A partnership has no GET of its own: the platform's list of partnerships shows it.
    location.at("list_partnerships")
    return PartnershipCreated(**_read(row).model_dump(), first_admin_token=token)


@router.patch("/{key}")
def update_partnership(
    key: str, body: PartnershipUpdate, session: SessionDep, principal: PrincipalDep
) -> PartnershipRead:
    """Rename a partnership or change its kind (platform admins)."""
    return _read(admin.update_partnership(session, principal, key, name=body.name, kind=body.kind))

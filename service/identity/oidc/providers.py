"""A partnership admin's use cases: list, read, create or replace, and remove the partnership's trusted providers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from service.access.principal import Principal
from service.access.roles import ALL_ROLES, Role
from service.audit.log import record
from service.config import get_settings
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.identity.directory import require_agencies
from service.identity.oidc.urls import url_problem
from service.models import IdentityProvider

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
MAPPABLE_ROLES = ALL_ROLES - {Role.PLATFORM_ADMIN}  # the hosting team's role is never granted by a partnership


class ProviderSpec(BaseModel):
    """How a partnership trusts one OpenID Connect provider (the body of PUT)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(
        max_length=500,
        description="Exactly the provider's `iss`, e.g. https://login.microsoftonline.com/{tenant-id}/v2.0.",
        examples=["https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"],
    )
    audience: str = Field(
        min_length=1,
        max_length=500,
        description="The `aud` its access tokens carry for LIF (Entra: the Application ID URI or client id).",
        examples=["api://lif-northshire"],
    )
    subject_claim: str = Field(default="sub", min_length=1, max_length=100, description="Entra: `oid`.")
    email_claim: str = Field(default="email", min_length=1, max_length=100, description="Entra: `upn` or `email`.")
    name_claim: str = Field(default="name", min_length=1, max_length=100)
    roles_claim: str = Field(
        default="roles", min_length=1, max_length=100, description="Entra: `roles` (app roles) or `groups`."
    )
    agency_claim: str | None = Field(default=None, max_length=100, description="A claim holding the agency code.")
    role_map: dict[str, list[str]] = Field(
        default={},
        description="Roles-claim value (an app role value or group object id) -> LIF roles. A value that is "
        "itself a LIF role name needs no entry.",
        examples=[{"6f1d0c3e-0000-4000-8000-000000000001": ["business_manager"]}],
    )
    agency_map: dict[str, str] = Field(
        default={}, description="Agency-claim value -> agency code (a value that is a code needs no entry)."
    )
    provisioning: Literal["refuse", "just_in_time"] = Field(
        default="refuse",
        description="An unknown user with a valid token: `refuse` (401, the admin adds them first) or "
        "`just_in_time` (created with the roles their claims map to).",
    )


def _require_admin(principal: Principal) -> None:
    if principal.machine or not principal.has_role(Role.PARTNERSHIP_ADMIN):
        raise Forbidden("managing identity providers needs the partnership admin role")


def _find(session: Session, principal: Principal, key: str) -> IdentityProvider | None:
    return session.exec(
        select(IdentityProvider).where(
            IdentityProvider.partnership_id == principal.partnership_id, IdentityProvider.key == key
        )
    ).first()


def list_providers(session: Session, principal: Principal) -> list[IdentityProvider]:
    """The partnership's trusted providers, by key."""
    _require_admin(principal)
    query = select(IdentityProvider).where(IdentityProvider.partnership_id == principal.partnership_id)
    return list(session.exec(query.order_by(IdentityProvider.key)))


def get_provider(session: Session, principal: Principal, key: str) -> IdentityProvider:
    """One trusted provider."""
    _require_admin(principal)
    row = _find(session, principal, key)
    if row is None:
        raise NotFound(f"there is no identity provider '{key}' in this partnership")
    return row


def _check(session: Session, principal: Principal, key: str, spec: ProviderSpec) -> None:
    problems = []
    production = get_settings().environment == "production"
    issuer_problem = url_problem(spec.issuer, production=production, public_only=production)
    if issuer_problem:
        problems.append({"field": "issuer", "message": f"the issuer {issuer_problem}"})
    for value, roles in spec.role_map.items():
        problems += [
            {"field": f"role_map.{value}", "message": f"'{role}' is not a role a provider can grant"}
            for role in roles
            if role not in MAPPABLE_ROLES
        ]
    if problems:
        raise InvalidInput("the identity provider settings are not valid", problems)
    require_agencies(session, principal.partnership_id, sorted(set(spec.agency_map.values())), field="agency_map")
    taken = session.exec(
        select(IdentityProvider).where(
            IdentityProvider.issuer == spec.issuer, IdentityProvider.audience == spec.audience
        )
    ).first()
    if taken is not None and (taken.partnership_id != principal.partnership_id or taken.key != key):
        # A token must name exactly one partnership, so an issuer + audience pair is trusted once.
        raise Conflict("this issuer and audience are already trusted; register a separate application (audience)")


def put_provider(session: Session, principal: Principal, key: str, spec: ProviderSpec) -> tuple[IdentityProvider, bool]:
    """Create or replace a trusted provider; True when it is new."""
    _require_admin(principal)
    _check(session, principal, key, spec)
    row = _find(session, principal, key)
    created = row is None
    if row is None:
        row = IdentityProvider(partnership_id=principal.partnership_id, key=key, **spec.model_dump())
    else:
        for name, value in spec.model_dump().items():
            setattr(row, name, value)
        row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="identity_provider.created" if created else "identity_provider.updated",
        object_type="identity_provider",
        object_id=str(row.id),
        summary=f"Identity provider '{key}' ({spec.issuer}) {'added' if created else 'changed'}",
        detail=spec.model_dump(mode="json"),
    )
    return row, created


def delete_provider(session: Session, principal: Principal, key: str) -> None:
    """Stop trusting a provider: its tokens are refused from the next request (linked users keep their subject)."""
    row = get_provider(session, principal, key)
    session.delete(row)
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="identity_provider.deleted",
        object_type="identity_provider",
        object_id=str(row.id),
        summary=f"Identity provider '{key}' ({row.issuer}) removed",
    )

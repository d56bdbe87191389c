"""The partnership's trusted OpenID Connect providers (partnership admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from api.deps import PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.identity_providers import IdentityProviderRead
from service.identity.oidc import providers
from service.identity.oidc.providers import KEY_PATTERN, ProviderSpec

router = ResourceRouter(prefix="/api/v1/partnership/identity-providers", tags=["identity"], responses=PROBLEM_RESPONSES)

KeyPath = Annotated[str, Path(pattern=KEY_PATTERN, description="Your short name for the provider, e.g. `entra`.")]


def _read(row: object) -> IdentityProviderRead:
    return IdentityProviderRead.model_validate(row, from_attributes=True)


@router.get("")
def list_identity_providers(session: SessionDep, principal: PrincipalDep) -> Page[IdentityProviderRead]:
    """The OpenID Connect providers whose access tokens sign this partnership's staff in (a few: one page)."""
    return Page[IdentityProviderRead](
        items=[_read(row) for row in providers.list_providers(session, principal)], next_cursor=None
    )


@router.get("/{key}")
def get_identity_provider(key: KeyPath, session: SessionDep, principal: PrincipalDep) -> IdentityProviderRead:
    """One trusted provider."""
    return _read(providers.get_provider(session, principal, key))


@router.put("/{key}", responses={201: {**CREATED[201], "model": IdentityProviderRead}})
def put_identity_provider(
    key: KeyPath,
    spec: ProviderSpec,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    location: LocationDep,
) -> IdentityProviderRead:
    """Trust a provider (201) or replace its settings (200): issuer, audience, claim names, role mapping."""
    row, created = providers.put_provider(session, principal, key, spec)
    if created:
        response.status_code = 201
        location.at("get_identity_provider", key=row.key)
    return _read(row)


@router.delete("/{key}", status_code=204)
def delete_identity_provider(key: KeyPath, session: SessionDep, principal: PrincipalDep) -> Response:
    """Stop trusting a provider; its tokens are refused from the next request."""
    providers.delete_provider(session, principal, key)
    return Response(status_code=204)

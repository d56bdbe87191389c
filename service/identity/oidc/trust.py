"""The trusted issuers: each partnership's identity_provider rows, and the environment's single provider."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, select

from service.config import get_settings
from service.errors import Unauthenticated
from service.models import IdentityProvider, Partnership

REFUSE, JUST_IN_TIME = "refuse", "just_in_time"


@dataclass(frozen=True)
class TrustedIssuer:
    """Whose tokens sign a partnership's staff in, and how their claims are read."""

    partnership_id: uuid.UUID
    issuer: str
    audience: str
    subject_claim: str
    email_claim: str
    name_claim: str
    roles_claim: str
    agency_claim: str | None
    role_map: Mapping[str, list[str]]
    agency_map: Mapping[str, str]
    provisioning: str
    source: str  # how messages and the audit log name this configuration
    # The environment is set by whoever hosts the service, so only it may map a claim to platform_admin.
    hosted: bool = False


def _from_row(row: IdentityProvider) -> TrustedIssuer:
    return TrustedIssuer(
        partnership_id=row.partnership_id,
        issuer=row.issuer,
        audience=row.audience,
        subject_claim=row.subject_claim,
        email_claim=row.email_claim,
        name_claim=row.name_claim,
        roles_claim=row.roles_claim,
        agency_claim=row.agency_claim,
        role_map=row.role_map,
        agency_map=row.agency_map,
        provisioning=row.provisioning,
        source=f"identity provider '{row.key}'",
    )


def _from_environment(session: Session) -> TrustedIssuer | None:
    settings = get_settings()
    if not settings.oidc_issuer:
        return None
    partnership_id = session.exec(select(Partnership.id).where(Partnership.key == settings.oidc_partnership)).first()
    if partnership_id is None:
        raise Unauthenticated(f"LIF_OIDC_PARTNERSHIP names no partnership ('{settings.oidc_partnership}')")
    return TrustedIssuer(
        partnership_id=partnership_id,
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        subject_claim=settings.oidc_subject_claim,
        email_claim=settings.oidc_email_claim,
        name_claim=settings.oidc_name_claim,
        roles_claim=settings.oidc_roles_claim,
        agency_claim=settings.oidc_agency_claim or None,
        role_map=settings.oidc_role_map,
        agency_map={},
        provisioning=settings.oidc_provisioning,
        source="the LIF_OIDC_* settings",
        hosted=True,
    )


def trusted_issuers(session: Session, issuer: str) -> list[TrustedIssuer]:
    """Every configuration trusting ``issuer`` (one per audience; the token's audience picks among them)."""
    found = [_from_row(row) for row in session.exec(select(IdentityProvider).where(IdentityProvider.issuer == issuer))]
    environment = _from_environment(session) if get_settings().oidc_issuer == issuer else None
    if environment is not None and all(t.audience != environment.audience for t in found):
        found.append(environment)
    return found

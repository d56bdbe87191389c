"""Verified claims read as a person: subject, email, name, the LIF roles and agency their claims map to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from service.access.roles import ALL_ROLES, Role
from service.errors import Unauthenticated
from service.identity.oidc.trust import TrustedIssuer


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    subject: str
    email: str | None
    name: str | None
    roles: frozenset[str]  # already mapped to LIF roles
    agency_code: str | None


def claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by name; a dotted name reaches into nested objects (Keycloak's ``realm_access.roles``)."""
    if name in claims:  # some claim names are URIs with dots in them
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _text(claims: Mapping[str, Any], name: str | None) -> str | None:
    value = claim(claims, name) if name else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def mapped_roles(values: list[str], trusted: TrustedIssuer) -> frozenset[str]:
    """The LIF roles some claim values give: through the role map, or a value that is itself a LIF role name."""
    roles: set[str] = set()
    for value in values:
        roles.update(trusted.role_map.get(value, [value] if value in ALL_ROLES else []))
    if not trusted.hosted:
        roles.discard(Role.PLATFORM_ADMIN)  # a partnership's provider never makes someone a platform admin
    return frozenset(roles & ALL_ROLES)


def read_identity(claims: Mapping[str, Any], trusted: TrustedIssuer) -> Identity:
    """The signed-in person as this partnership's configuration reads the token."""
    subject = _text(claims, trusted.subject_claim)
    if subject is None:
        raise Unauthenticated(f"the token has no '{trusted.subject_claim}' claim to identify the user by")
    agency = _text(claims, trusted.agency_claim)
    return Identity(
        subject=subject,
        # A provider that says the address is unverified (Google, Keycloak) gives no email to match or create by.
        email=None if claims.get("email_verified") is False else _text(claims, trusted.email_claim),
        name=_text(claims, trusted.name_claim),
        roles=mapped_roles(_strings(claim(claims, trusted.roles_claim)), trusted),
        agency_code=trusted.agency_map.get(agency, agency) if agency else None,
    )

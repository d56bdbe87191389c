"""A trusted OpenID Connect provider as the API shows it."""

from __future__ import annotations

import uuid

from api.schemas.common import Instant
from service.identity.oidc.providers import ProviderSpec


class IdentityProviderRead(ProviderSpec):
    """A trusted provider: its settings, key and history."""

    id: uuid.UUID
    key: str
    created_at: Instant
    updated_at: Instant | None

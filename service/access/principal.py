"""Who is making a request: resolved from a bearer token once, passed to every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """An authenticated user acting for one partnership (and, for agency users, one agency)."""

    user_id: uuid.UUID
    partnership_id: uuid.UUID
    name: str
    roles: frozenset[str]
    agency_code: str | None = None
    machine: bool = False  # a partner system's agency-scoped token: tasks and webhooks only
    # Holds one of the partnership's oversight roles: sees every case (service/access/need_to_know.py).
    oversight: bool = False

    def has_role(self, role: str) -> bool:
        """True when the user holds ``role``."""
        return role in self.roles

    @property
    def label(self) -> str:
        """How the audit log names this actor."""
        return f"{self.name} ({self.user_id})"

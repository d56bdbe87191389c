"""Process properties that say who may open and see a case type: ``partnershipKinds`` and ``caseAccess``."""

from __future__ import annotations

PARTNERSHIP_KINDS = ("children", "adults", "community_safety", "mappa", "joint")
CASE_ACCESS = ("need_to_know", "partnership")


def partnership_kinds(properties: dict[str, str]) -> tuple[str, ...]:
    """The kinds of partnership that may open the case type (empty: every kind)."""
    text = properties.get("partnershipKinds", "")
    return tuple(kind.strip() for kind in text.split(",") if kind.strip())


def case_access(properties: dict[str, str]) -> str:
    """``need_to_know`` (the default) or ``partnership``."""
    return properties.get("caseAccess", "").strip() or "need_to_know"


def problems(properties: dict[str, str]) -> list[str]:
    """What is wrong with the two properties, in words a process owner can act on."""
    found = [
        f"partnershipKinds names '{kind}', which is not a kind of partnership; use: " + ", ".join(PARTNERSHIP_KINDS)
        for kind in partnership_kinds(properties)
        if kind not in PARTNERSHIP_KINDS
    ]
    access = properties.get("caseAccess", "").strip()
    if access and access not in CASE_ACCESS:
        found.append(f"caseAccess '{access}' is not known; use: " + ", ".join(CASE_ACCESS))
    return found

"""Which provider addresses we talk to: https, or plain http on loopback outside production."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str, *, production: bool) -> str | None:
    """Why ``url`` may not be used to reach a provider, or None when it may."""
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return "must be an absolute https URL"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "must not carry credentials, a query or a fragment"
    if parts.scheme == "http":
        # Tokens and keys over plain http could be swapped in transit; only a provider on this machine is safe.
        if production:
            return "must use https in production"
        if not is_loopback(parts.hostname):
            return "must use https (plain http is accepted only on loopback, for local trials and tests)"
    return None

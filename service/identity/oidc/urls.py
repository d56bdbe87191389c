"""Which provider addresses we talk to: https, or plain http on loopback outside production.

In production a provider that a partnership admin configured must also resolve to public addresses only, so
the service cannot be pointed at its own network (SSRF); the environment's provider, set by the hosting team,
may be internal.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from service.addresses import is_loopback, refusal, resolve


def url_problem(url: str, *, production: bool, public_only: bool = False) -> str | None:
    """Why ``url`` may not be used to reach a provider, or None when it may (``public_only``: see above)."""
    problem = _scheme_problem(url, production=production)
    return problem or (_private_address_problem(url) if public_only else None)


def _scheme_problem(url: str, *, production: bool) -> str | None:
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return "must be an absolute https URL"
    if parts.username or parts.password or parts.fragment:
        return "must not carry credentials or a fragment"
    if parts.scheme == "http":
        # Tokens and keys over plain http could be swapped in transit; only a provider on this machine is safe.
        if production:
            return "must use https in production"
        if not is_loopback(parts.hostname):
            return "must use https (plain http is accepted only on loopback, for local trials and tests)"
    return None


def _private_address_problem(url: str) -> str | None:
    # Resolved now, again at each fetch (DNS may change in between); the same policy as webhook endpoints.
    parts = urlsplit(url)
    try:
        addresses = resolve(parts.hostname or "", parts.port or 443)
    except ValueError as exc:
        return str(exc)
    for address in addresses:
        reason = refusal(address)
        if reason:
            return f"resolves to {address} ({reason}), which is not a public address"
    return None

"""Endpoint URL safety: https in production; only public unicast targets (SSRF, service/addresses.py).

The check runs at registration and again before every delivery (DNS may change in between), and a delivery
connects to the address it checked (service/webhooks/pinned.py).
"""

from __future__ import annotations

from typing import NoReturn
from urllib.parse import urlsplit

from service.addresses import Address, refusal, resolve
from service.config import get_settings
from service.errors import InvalidInput


def check_endpoint(url: str) -> None:
    """Refuse a URL partners must not be able to point us at; raises 422 with the reason."""
    settings = get_settings()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        _refuse("must be an absolute http(s) URL")
    if settings.webhook_requires_https and parts.scheme != "https":
        _refuse("must use https")
    if parts.username or parts.password:
        _refuse("must not contain credentials")
    if not settings.webhook_allow_private_addresses:
        for address in _addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)):
            reason = refusal(address)
            if reason:
                _refuse(f"resolves to {address}, {reason}; use a public address")


def delivery_address(url: str) -> Address:
    """Check ``url`` again at send time and return the one address the delivery must connect to.

    Resolving once and connecting to that very address closes DNS rebinding: a name that answered with a public
    address for the check cannot answer with an internal one for the connection.
    """
    check_endpoint(url)
    parts = urlsplit(url)
    return _addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))[0]


def _addresses(host: str, port: int) -> list[Address]:
    try:
        return resolve(host, port)
    except ValueError as exc:
        _refuse(str(exc))


def _refuse(reason: str) -> NoReturn:
    raise InvalidInput("the endpoint URL is not acceptable", [{"field": "url", "message": reason}])

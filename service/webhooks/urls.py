"""Endpoint URL safety: https in production; no private, loopback or link-local targets (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from typing import NoReturn
from urllib.parse import urlsplit

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
            if not address.is_global:
                _refuse(f"resolves to {address}, a private, loopback or link-local address")


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        _refuse(f"the host '{host}' does not resolve")
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _refuse(reason: str) -> NoReturn:
    raise InvalidInput("the endpoint URL is not acceptable", [{"field": "url", "message": reason}])

"""Endpoint URL safety: https in production; only public unicast targets (SSRF).

An address is refused when it, or an IPv4 address it embeds (IPv4-mapped, IPv4-compatible, NAT64, 6to4), is
private, loopback, link-local, multicast, broadcast, reserved, unspecified or otherwise not globally reachable.
The check runs at registration and again before every delivery (DNS may change in between), and a delivery
connects to the address it checked (service/webhooks/pinned.py).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import NoReturn
from urllib.parse import urlsplit

from service.config import get_settings
from service.errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix: the IPv4 address is the last 32 bits
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215 local-use: embedding position varies, refuse all
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


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


def refusal(address: Address) -> str | None:
    """Why an address must not receive webhooks, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = _kind(embedded)
            return f"which embeds {embedded}, {reason}" if reason else None
    return _kind(address)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):  # :: and ::1 are judged as IPv6
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: Address) -> str | None:
    checks = (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address == _BROADCAST, "the broadcast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "a site-local address"),
        (not address.is_global, "an address that is not publicly routable"),
    )
    return next((reason for matches, reason in checks if matches), None)


def _addresses(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        _refuse(f"the host '{host}' does not resolve")
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _refuse(reason: str) -> NoReturn:
    raise InvalidInput("the endpoint URL is not acceptable", [{"field": "url", "message": reason}])

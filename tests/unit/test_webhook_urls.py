"""Webhook endpoint policy: only public unicast addresses, however an IPv4 address is dressed up."""

from __future__ import annotations

import ipaddress

import pytest

from service.addresses import refusal
from service.errors import InvalidInput
from service.webhooks.urls import check_endpoint

REFUSED = {
    "127.0.0.1": "loopback",
    "10.1.2.3": "private",
    "192.168.0.10": "private",
    "100.64.0.1": "not publicly routable",
    "169.254.169.254": "link-local",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "255.255.255.255": "broadcast",
    "240.0.0.1": "private",  # reserved for future use; Python files it as private too
    "192.0.2.1": "private",  # documentation
    "::": "unspecified",
    "::1": "loopback",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fec0::1": "site-local",
    "ff02::1": "multicast",
    "2001:db8::1": "private",
    "64:ff9b::a9fe:a9fe": "embeds 169.254.169.254, a link-local",  # NAT64 of the metadata address
    "64:ff9b::7f00:1": "embeds 127.0.0.1, a loopback",
    "64:ff9b::e000:1": "embeds 224.0.0.1, a multicast",
    "64:ff9b:1::a9fe:a9fe": "local-use NAT64",
    "::ffff:127.0.0.1": "embeds 127.0.0.1",
    "::ffff:169.254.169.254": "embeds 169.254.169.254",
    "::ffff:10.0.0.1": "embeds 10.0.0.1, a private",
    "::127.0.0.1": "embeds 127.0.0.1",  # IPv4-compatible (deprecated)
    "::10.0.0.1": "embeds 10.0.0.1",
    "2002:a9fe:a9fe::1": "embeds 169.254.169.254",  # 6to4
    "2002:7f00:1::": "embeds 127.0.0.1",
    "2002:c0a8:1::1": "embeds 192.168.0.1",
}
ACCEPTED = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize(("address", "reason"), REFUSED.items())
def test_non_public_addresses_are_refused_with_the_reason(address: str, reason: str) -> None:
    found = refusal(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", ACCEPTED)
def test_public_unicast_addresses_are_accepted(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["[64:ff9b::a9fe:a9fe]", "224.0.0.1", "[::ffff:127.0.0.1]", "[2002:a9fe:a9fe::1]"])
def test_literal_hosts_in_urls_are_refused_naming_the_url_field(host: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_endpoint(f"http://{host}/hook")
    assert refused.value.errors[0]["field"] == "url" and "use a public address" in refused.value.errors[0]["message"]


def test_resolved_addresses_are_judged_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    # A name that resolves to a public and a NAT64-wrapped metadata address is refused (any bad address suffices).
    def fake_getaddrinfo(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        return [(None, None, None, "", ("8.8.8.8", port)), (None, None, None, "", ("64:ff9b::a9fe:a9fe", port, 0, 0))]

    monkeypatch.setattr("socket.getaddrinfo", fake_getaddrinfo)
    with pytest.raises(InvalidInput) as refused:
        check_endpoint("https://partner.example/hook")
    assert "169.254.169.254" in refused.value.errors[0]["message"]

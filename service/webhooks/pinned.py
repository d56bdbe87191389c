"""An HTTP client that connects to one checked address, whatever the name resolves to by then.

The URL keeps its host name, so the Host header, TLS server name (SNI) and certificate check are all for the
name; only the TCP connection goes to the address :func:`service.webhooks.urls.delivery_address` approved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from service.addresses import Address


class _PinnedBackend(httpcore.SyncBackend):
    def __init__(self, address: Address) -> None:
        self.address = str(address)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return super().connect_tcp(self.address, port, timeout, local_address, socket_options)


def pinned_client(address: Address, *, timeout: float) -> httpx.Client:
    """An ``httpx.Client`` (no redirects, no proxies from the environment) whose connections go to ``address``."""
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx offers no way to pass a network backend to its connection pool; set ours on the pool it built
    # (httpx and httpcore are pinned; tests/integration/test_webhooks.py delivers through this over real sockets).
    transport._pool._network_backend = _PinnedBackend(address)
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)

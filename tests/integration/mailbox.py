"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts, parsed with the standard email package.

It can answer 4xx to the next messages, refuse recipients with 5xx, or hold one message's DATA without
answering (to kill the sender mid-send): a client that disconnects then never gets its 250, and the message is
dropped, as RFC 5321 has it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Mailbox:
    """What the server accepted, and how it should misbehave."""

    received: list[tuple[bytes, EmailMessage]] = field(default_factory=list)
    temporary_failures: int = 0  # answer 451 to this many messages
    refuse: set[str] = field(default_factory=set)  # answer 550 to these recipients
    hold: int = 0  # never answer the DATA of this message (1 = the first)
    held: threading.Event = field(default_factory=threading.Event)
    data_commands: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        if self.data_commands == self.hold:
            self.held.set()
            await asyncio.sleep(60)  # cancelled by aiosmtpd when the client goes away
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            return "451 4.3.0 try again later"
        raw = bytes(envelope.original_content or envelope.content)
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((raw, message))
        return "250 OK queued"

    def messages_to(self, address: str) -> list[EmailMessage]:
        """Accepted messages addressed to ``address``."""
        return [m for _, m in self.received if m["To"] == address]


def start(mailbox: Mailbox, *, login: tuple[str, str] | None = None) -> tuple[Controller, int]:
    """Serve ``mailbox`` on a free loopback port; with ``login`` (user, password) only after AUTH."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
        return AuthResult(success=given == login, handled=False)  # not handled: the server answers 535

    extra: dict[str, Any] = {}
    if login is not None:  # loopback only, so AUTH without TLS is allowed here
        extra = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    return controller, port

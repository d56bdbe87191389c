"""Talk to the mail server: parse LIF_SMTP_URL, send one message, and say whether a failure is temporary.

``smtp://`` upgrades with STARTTLS and refuses to go on without it, except to a loopback relay (a local MTA or a
test server); ``smtps://`` speaks TLS from the start. Credentials come from the URL's user:password.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from service.addresses import is_loopback
from service.errors import InvalidInput


@dataclass(frozen=True)
class Server:
    """Where and how to connect."""

    host: str
    port: int
    tls: bool  # smtps: TLS from the first byte
    user: str | None
    password: str | None


@dataclass(frozen=True)
class Failure:
    """Why a message was not accepted; ``permanent`` for a 5xx answer about this message."""

    permanent: bool
    error: str


def parse(url: str) -> Server:
    """A Server from ``smtp://`` or ``smtps://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidInput("LIF_SMTP_URL must look like smtp://host:587 or smtps://host:465", [])
    tls = parts.scheme == "smtps"
    return Server(
        host=parts.hostname,
        port=parts.port or (465 if tls else 587),
        tls=tls,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def connect(server: Server, timeout: float) -> smtplib.SMTP:
    """An open, authenticated connection (TLS unless the relay is on loopback)."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.tls:
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        elif not is_loopback(server.host):
            client.close()
            raise smtplib.SMTPNotSupportedError("the mail server does not offer STARTTLS; refusing to send in clear")
    if server.user:
        client.login(server.user, server.password or "")
    return client


def send(client: smtplib.SMTP, message: EmailMessage) -> Failure | None:
    """Send one message on an open connection; None when the server accepted it."""
    try:
        refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return Failure(code >= 500, f"{code} {_text(text)}")
    except smtplib.SMTPAuthenticationError as exc:  # the service's configuration, not this message: retry
        return Failure(False, f"{exc.smtp_code} {_text(exc.smtp_error)}")
    except smtplib.SMTPResponseException as exc:
        return Failure(exc.smtp_code >= 500, f"{exc.smtp_code} {_text(exc.smtp_error)}")
    except (smtplib.SMTPException, OSError) as exc:
        return Failure(False, f"{type(exc).__name__}: {exc}")
    if refused:
        code, text = next(iter(refused.values()))
        return Failure(code >= 500, f"{code} {_text(text)}")
    return None


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer

"""Mail goes over TLS: STARTTLS on smtp://, TLS from the first byte on smtps://, with the certificate checked.

A real aiosmtpd server on loopback with a certificate made for the test; the client trusts it the way a
deployment trusts its own CA, through SSL_CERT_FILE (read by ssl.create_default_context), nothing patched.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.notifications import smtp
from tests.integration.mailbox import Mailbox


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (its own CA), as PEM files."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def _serve(mailbox: Mailbox, **options: object) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)  # type: ignore[arg-type]
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "lif@localhost", "lead@localhost", "TLS"
    message.set_content("over TLS")
    return message


def test_smtp_upgrades_with_starttls_and_checks_the_certificate(certificate: tuple[Path, Path], trusted: None) -> None:
    mailbox = Mailbox()
    for port in _serve(mailbox, tls_context=_server_context(certificate), require_starttls=True):
        client = smtp.connect(smtp.parse(f"smtp://localhost:{port}"), timeout=10)
        try:
            assert isinstance(client.sock, ssl.SSLSocket)  # the server refuses MAIL until STARTTLS anyway
            assert smtp.send(client, _message()) is None
        finally:
            client.quit()
    assert [m["Subject"] for _, m in mailbox.received] == ["TLS"]


def test_smtps_speaks_tls_from_the_start(certificate: tuple[Path, Path], trusted: None) -> None:
    mailbox = Mailbox()
    for port in _serve(mailbox, server_hostname="localhost", ssl_context=_server_context(certificate)):
        client = smtp.connect(smtp.parse(f"smtps://localhost:{port}"), timeout=10)
        try:
            assert smtp.send(client, _message()) is None
        finally:
            client.quit()
    assert len(mailbox.received) == 1


def test_a_certificate_nobody_trusts_is_refused(certificate: tuple[Path, Path]) -> None:
    mailbox = Mailbox()
    for port in _serve(mailbox, tls_context=_server_context(certificate), require_starttls=True):
        with pytest.raises(ssl.SSLCertVerificationError):
            smtp.connect(smtp.parse(f"smtp://localhost:{port}"), timeout=10)
    assert mailbox.received == []

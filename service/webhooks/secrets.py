"""Signing secrets: Standard Webhooks ``whsec_`` secrets, stored encrypted (we need them back to sign)."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken

from service.config import get_settings

_DEVELOPMENT_KEY = "lif-development-only-key-never-use-in-production"


def new_secret() -> str:
    """A fresh signing secret, in the form every Standard Webhooks library accepts."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _fernet() -> Fernet:
    key = get_settings().secret_key or _DEVELOPMENT_KEY  # production refuses an empty key (config.py)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypt(secret: str) -> str:
    """Encrypt a secret for storage."""
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(stored: str) -> str:
    """Decrypt a stored secret (fails loudly if LIF_SECRET_KEY changed)."""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise RuntimeError("a webhook secret cannot be decrypted: was LIF_SECRET_KEY changed?") from None

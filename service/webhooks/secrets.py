"""Signing secrets: Standard Webhooks ``whsec_`` secrets, stored encrypted (we need them back to sign)."""

from __future__ import annotations

import base64
import secrets

from service.sealing import seal, unseal


def new_secret() -> str:
    """A fresh signing secret, in the form every Standard Webhooks library accepts."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def encrypt(secret: str) -> str:
    """Encrypt a secret for storage."""
    return seal(secret)


def decrypt(stored: str) -> str:
    """Decrypt a stored secret (fails loudly if LIF_SECRET_KEY changed)."""
    return unseal(stored, "a webhook secret")

"""Encryption at rest for what we must read back: webhook signing secrets, a subject's real identifiers."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from service.config import get_settings

_DEVELOPMENT_KEY = "lif-development-only-key-never-use-in-production"


def _fernet() -> Fernet:
    key = get_settings().secret_key or _DEVELOPMENT_KEY  # production refuses an empty key (config.py)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def seal(text: str) -> str:
    """Encrypt text for storage."""
    return _fernet().encrypt(text.encode()).decode()


def unseal(stored: str, what: str) -> str:
    """Decrypt stored text (fails loudly, naming ``what``, if LIF_SECRET_KEY changed)."""
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise RuntimeError(f"{what} cannot be decrypted: was LIF_SECRET_KEY changed?") from None


def seal_json(value: Any) -> str:
    """Encrypt a JSON document for storage."""
    return seal(json.dumps(value, sort_keys=True, default=str))


def unseal_json(stored: str, what: str) -> Any:
    """Decrypt a sealed JSON document."""
    return json.loads(unseal(stored, what))

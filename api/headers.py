"""Response headers the contract documents, each once (ETag lives with conditional requests, in api.conditional)."""

from __future__ import annotations

from typing import Any

LOCATION: dict[str, Any] = {
    "description": "Where to read what was created (a path; resolve it against the URL you called).",
    "schema": {"type": "string", "format": "uri-reference"},
}
IDEMPOTENT_REPLAYED: dict[str, Any] = {
    "description": "Present (true) when an Idempotency-Key was seen before: this is the earlier answer, replayed.",
    "schema": {"type": "string", "enum": ["true"]},
}
RETRY_AFTER: dict[str, Any] = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 0},
}

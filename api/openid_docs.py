"""The OpenAPI document's `openIdConnect` security scheme, offered beside the bearer scheme on every operation."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.config import Settings

BEARER = "HTTPBearer"
SCHEME = "openIdConnect"
# Each partnership has its own provider; without a single configured one the document shows Entra's form.
PLACEHOLDER = "https://login.microsoftonline.com/{tenant-id}/v2.0/.well-known/openid-configuration"


def install(app: FastAPI, settings: Settings) -> None:
    """Declare the scheme (from LIF_OIDC_ISSUER, or the placeholder) and accept it wherever a bearer token is."""
    issuer = settings.oidc_issuer.rstrip("/")
    url = f"{issuer}/.well-known/openid-configuration" if issuer else PLACEHOLDER
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
            "type": "openIdConnect",
            "openIdConnectUrl": url,
            "description": "An access token from your partnership's identity provider (docs/identity.md), sent "
            "as `Authorization: Bearer <JWT>`.",
        }
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                security = operation.get("security", []) if isinstance(operation, dict) else []
                if any(BEARER in requirement for requirement in security):
                    security.append({SCHEME: []})  # either scheme satisfies the operation
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

"""``/docs``: the interactive Swagger UI, its files served by us from an installed package, never from a CDN.

The files are Swagger UI 5 (it renders OpenAPI 3.1, which this document is), as the pinned PyPI package
``fastapi-offline`` ships them; docs/decisions.md says why that package. A browser with no internet access, or a
partnership network that blocks CDNs, still gets working docs.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
# Swagger UI would otherwise send the document to validator.swagger.io for a badge: nothing leaves the page.
PARAMETERS = {"validatorUrl": None, "deepLinking": True}


def assets_dir() -> Path:
    """Where the installed package keeps the Swagger UI files."""
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI) -> None:
    """Serve /docs, its OAuth2 redirect page and /docs/assets/ (create the app with ``docs_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
    redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            oauth2_redirect_url=redirect_url,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=PARAMETERS,
        )

    @app.get(redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

"""Location on every 201: where the created resource can be read (RFC 9110 §10.2.2), declared in the contract.

The URL is built from the name of the GET endpoint that shows the resource, so a renamed path cannot leave a stale
Location behind (``url_path_for`` fails loudly on an unknown name or a missing parameter). The URL is a path
(a relative reference): behind a proxy, the client resolves it against the URL it called.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response

from api.headers import LOCATION

CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "Created; Location gives its URL", "headers": {"Location": LOCATION}}
}


class Locator:
    """Sets the Location header of this request's response."""

    def __init__(self, request: Request, response: Response) -> None:
        self._request = request
        self._response = response

    def at(self, endpoint: str, query: dict[str, str] | None = None, **path: object) -> None:
        """Point at the GET endpoint function ``endpoint`` with these path parameters (and query)."""
        url = str(self._request.app.url_path_for(endpoint, **{k: str(v) for k, v in path.items()}))
        self._response.headers["Location"] = url + (f"?{urlencode(query)}" if query else "")


def _locator(request: Request, response: Response) -> Locator:
    return Locator(request, response)


LocationDep = Annotated[Locator, Depends(_locator)]

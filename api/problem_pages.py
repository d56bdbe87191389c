"""Every problem ``type`` URI resolves to a page that says what the problem means and what to do about it.

A problem's ``type`` is ``{service}/problems/{slug}`` (RFC 9457 §3.1.1: a URI that, dereferenced, documents the
problem). The pages are served by the service itself, without a token, so a front-end developer can follow the
link from any error straight to its explanation.
"""

from __future__ import annotations

from html import escape
from http import HTTPStatus

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import HTMLResponse

# slug → (title, what it means, what to do)
CATALOGUE: dict[str, tuple[str, str, str]] = {
    "bad-request": ("Bad request", "The request cannot be understood as it is.", "Read `detail` and correct it."),
    "unauthenticated": (
        "Not authenticated",
        "No bearer token was sent, or it is unknown, expired, revoked, or its user was deactivated.",
        "Send `Authorization: Bearer <token>` with a current token (a LIF token or your identity provider's).",
    ),
    "forbidden": (
        "Not allowed",
        "You are signed in, but your roles (or, for a machine token, its scope) do not allow this.",
        "`GET /api/v1/me` lists what you may do (`can`); ask your partnership admin for the role `detail` names.",
    ),
    "not-found": (
        "Not found",
        "There is no such object for you: it does not exist, belongs to another partnership, or you do not need "
        "to know about it (these look the same, on purpose).",
        "Check the id; if someone else can see it, ask to be made a member of the case.",
    ),
    "conflict": (
        "Conflict",
        "The request is valid but cannot be carried out in the object's current state (a task already completed, "
        "a process step refused by its diagram, a duplicate).",
        "Read `detail`, fetch the object again, and retry only if its state allows it. Nothing was changed.",
    ),
    "gone": (
        "Gone",
        "The object was disposed of at the end of its retention period.",
        "Nothing can bring it back; the disposal log (`GET /api/v1/data-protection/disposal/log`) records it.",
    ),
    "precondition-failed": (
        "Precondition failed",
        "`If-Match` did not match: someone changed the object since you read it.",
        "Fetch it again, look at what changed, and resend with the new `ETag`.",
    ),
    "request-timeout": (
        "Request timeout",
        "The request body did not arrive in full within the time allowed.",
        "Send the body promptly, in one go; check the connection.",
    ),
    "invalid-input": (
        "Invalid input",
        "Some fields are missing or wrong. `errors[]` names each field (a dotted path) and what to do.",
        "Correct each field in `errors[]` and send again. Nothing was changed.",
    ),
    "invalid-json": (
        "Invalid JSON",
        "The body could not be read as JSON; `detail` gives the line and column.",
        "Send well-formed JSON with `Content-Type: application/json`.",
    ),
    "unsupported-media-type": (
        "Unsupported media type",
        "The body was not sent as JSON (or, for uploads, as multipart form data).",
        "Send the header `Content-Type: application/json` (uploads: `multipart/form-data`).",
    ),
    "instance-failed": (
        "Process instance failed",
        "The process reached a state it must not continue from (a loop ran too long) and was stopped.",
        "A process owner reads the instance's history and migrates or terminates it; the diagram needs fixing.",
    ),
    "payload-too-large": (
        "Payload too large",
        "The body is larger than this endpoint accepts (docs/security.md lists the limits).",
        "Send less: split the work, or compress the file you upload.",
    ),
    "too-many-requests": (
        "Too many requests",
        "Too many failed sign-ins came from your address or with your token's prefix.",
        "Wait the number of seconds in `Retry-After`, then send a valid token.",
    ),
    "not-ready": (
        "Not ready",
        "The service cannot serve requests yet: its database does not answer, or its diagrams are not loaded.",
        "Retry shortly; `reason` says which (`database` or `definitions`). A load balancer should send no traffic.",
    ),
    "internal": (
        "Internal error",
        "Something went wrong on the service's side. Nothing was changed.",
        "Retry later; if it persists, report it quoting `correlation_id`.",
    ),
}
HTTP_STATUS = ("HTTP error", "The request was answered with HTTP status {code} ({phrase}).", "Read `detail`.")

router = APIRouter(include_in_schema=False)


@router.get("/problems", response_class=HTMLResponse)
def list_problem_pages() -> str:
    """Every kind of problem the service answers with."""
    items = "".join(
        f'<li><a href="problems/{slug}">{escape(title)}</a></li>' for slug, (title, _, _) in CATALOGUE.items()
    )
    return _page("Problems LIF Service answers with", f"<ul>{items}</ul>")


@router.get("/problems/{slug}", response_class=HTMLResponse)
def get_problem_page(slug: str) -> str:
    """What one kind of problem means and what to do."""
    if slug in CATALOGUE:
        title, meaning, action = CATALOGUE[slug]
    elif slug.startswith("http-") and slug[5:].isdigit():
        code = int(slug[5:])
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "unknown"
        title, meaning, action = HTTP_STATUS[0], HTTP_STATUS[1].format(code=code, phrase=phrase), HTTP_STATUS[2]
    else:
        raise HTTPException(404, f"there is no problem type '{slug}'; see /problems")
    return _page(title, f"<p>{escape(meaning)}</p><h2>What to do</h2><p>{escape(action)}</p>")


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><h1>{escape(title)}</h1>{body}"
        "<p>Every error is <code>application/problem+json</code> (RFC 9457) with this page as its "
        '<code>type</code>; see <a href="/docs">/docs</a>.</p></body></html>'
    )


def install(app: FastAPI) -> None:
    """Serve the pages (no token needed: they say nothing about anyone)."""
    app.include_router(router)

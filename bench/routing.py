"""How long the application takes to find the route of a request: one pass over its routers, in-process.

    python bench/routing.py [--quick-check off] [--number N]

The application asks its routers in turn whether a path is theirs; a router near the end of the list is found only
after every earlier one said no. api/routing.py lets a router say no without walking its routes; ``--quick-check
off`` walks them all, as before it. Starlette looks for the route once more inside the router it picked: that second
look costs the same either way and is not counted.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from starlette.routing import Match  # noqa: E402

from api.app import create_app  # noqa: E402
from api.routing import ResourceRouter  # noqa: E402
from bench.support import log  # noqa: E402
from service.config import Settings  # noqa: E402

ID = "0b0e6f1e-3b1c-4a5e-9d3e-3a3f6d1c2b4a"
REQUESTS = [
    ("GET", "/api/v1/tasks"),
    ("POST", f"/api/v1/tasks/{ID}/complete"),
    ("POST", "/api/v1/cases"),
    ("GET", f"/api/v1/cases/{ID}"),
    ("GET", "/api/v1/me/notifications"),
    ("GET", "/api/v1/partnership/dashboard"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick-check", choices=("on", "off"), default="on")
    parser.add_argument("--number", type=int, default=2000, help="look-ups per request (default 2000)")
    args = parser.parse_args(argv)
    if args.quick_check == "off":
        ResourceRouter._route_beginnings = lambda self: ()  # type: ignore[method-assign]
    app = create_app(Settings(database_url="sqlite:///unused.db"))

    def find(method: str, path: str) -> None:
        scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
        for entry in app.router.routes:
            if entry.matches(scope)[0] == Match.FULL:
                return
        raise RuntimeError(f"no route for {method} {path}")

    log(f"finding the route, quick check {args.quick_check} (µs per request, the best of 5 runs of {args.number})")
    for method, path in REQUESTS:
        best = min(timeit.repeat(lambda m=method, p=path: find(m, p), number=args.number, repeat=5)) / args.number
        log(f"  {method:5s} {path.replace(ID, '{id}'):40s} {best * 1e6:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

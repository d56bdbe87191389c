"""A machine token reaches exactly the endpoints docs/webhooks.md lists, and every other one says why not."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from api.deps import MACHINE_SCOPE
from tests.conftest import Api

DOCS = Path(__file__).parents[2] / "docs" / "webhooks.md"


def _documented() -> set[tuple[str, str]]:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("<!-- machine-token-scope", 1)[1].split("\n\n", 1)[0]
    return {(m.group(1), m.group(2)) for m in re.finditer(r"`(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`\s]+)`", table)}


def test_a_machine_token_reaches_exactly_what_the_docs_say(api: Api) -> None:
    issued = api.as_("partnership_admin").post("/api/v1/agencies/police/machine-tokens", json={"name": "system"})
    machine = api.as_("business_manager")  # replaced below; keeps the client type
    machine.headers = {"Authorization": f"Bearer {issued.json()['token']}"}
    spec = api.client.get("/openapi.json").json()
    reachable: set[tuple[str, str]] = set()
    refused = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: "police" if m.group(1) == "agency_code" else str(uuid.uuid4()), path)
        for method in operations:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            response = machine.request(method.upper(), url, json={})
            assert response.status_code < 500, f"{method.upper()} {path}: {response.text[:300]}"
            if response.status_code == 403 and response.json()["detail"] == MACHINE_SCOPE:
                refused += 1
            else:
                reachable.add((method.upper(), path))
    assert refused > 50  # the walk covers the API
    documented = _documented()
    assert reachable == documented, {
        "reachable but not documented": sorted(reachable - documented),
        "documented but refused": sorted(documented - reachable),
    }
    # Staff names and e-mails stay with people.
    assert machine.get("/api/v1/trainees").json()["detail"] == MACHINE_SCOPE

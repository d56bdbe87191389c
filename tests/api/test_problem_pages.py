"""Every problem's `type` resolves to a page on the service that says what it means and what to do."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from api import problem_pages
from service import errors
from tests.conftest import Api

API = Path(__file__).parents[2] / "api"


def _slugs_in_use() -> set[str]:
    """Every slug a problem can carry: the domain errors', and those the HTTP layer sets itself."""
    domain = {
        cls.slug for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)
    }
    layer = set(re.findall(r'"([a-z]+(?:-[a-z]+)+|internal)"\)?$', (API / "errors.py").read_text(), re.M))
    return domain | {slug for slug in layer if slug in problem_pages.CATALOGUE or "-" in slug}


def test_each_kind_of_problem_has_its_page(api: Api) -> None:
    slugs = _slugs_in_use()
    assert {"invalid-input", "not-found", "invalid-json", "unsupported-media-type", "too-many-requests"} <= slugs
    for slug in slugs:
        page = api.client.get(f"/problems/{slug}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), slug
        assert "What to do" in page.text, slug
    assert all(f"problems/{slug}" in api.client.get("/problems").text for slug in problem_pages.CATALOGUE)
    assert api.client.get("/problems/http-405").status_code == 200
    missing = api.client.get("/problems/no-such-thing")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_a_problems_type_link_leads_to_its_explanation(api: Api) -> None:
    answer = api.as_("business_manager").get(f"/api/v1/cases/{uuid.uuid4()}")
    assert answer.status_code == 404
    link = answer.json()["type"]
    assert link == "http://testserver/problems/not-found"
    page = api.client.get(link)
    assert page.status_code == 200 and "Not found" in page.text and "need" in page.text

"""Every common first mistake gets a message that says what to do instead."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from service.cli import main
from service.config import get_settings
from service.db.session import unit_of_work
from service.demo import seed
from service.engine.functions import today
from service.models import ApiToken, User
from tests.conftest import Api
from tests.helpers import open_case, open_tasks


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_a_misspelt_case_type_lists_the_valid_ones_and_where_to_find_them(api: Api) -> None:
    body = _problem(api.as_("business_manager").post("/api/v1/cases", json={**_case(), "case_type": "cpsr"}), 404)
    assert body["detail"].startswith("there is no case type 'cpsr'; did you mean 'cspr'? valid types: ")
    assert "cspr" in body["detail"].split("valid types:")[1] and "sar" in body["detail"]
    assert "GET /api/v1/case-types" in body["detail"]


def test_malformed_json_says_so_with_line_and_column(api: Api) -> None:
    bm = api.as_("business_manager")
    broken = b'{\n  "case_type": "cspr",\n  "title": oops\n}'
    body = _problem(bm.post("/api/v1/cases", content=broken, headers={"Content-Type": "application/json"}), 422)
    assert body["detail"] == "the body is not valid JSON: Expecting value at line 3, column 12"
    assert body["errors"] == [{"field": "body", "message": body["detail"]}]


@pytest.mark.parametrize("content_type", [None, "text/plain"])
def test_a_body_not_sent_as_json_says_which_content_type_to_send(api: Api, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.as_("business_manager").post("/api/v1/cases", content=json.dumps(_case()), headers=headers)
    body = _problem(response, 415)
    assert "send the body as JSON with the header 'Content-Type: application/json'" in body["detail"]
    assert (content_type or "no Content-Type") in body["detail"]


def test_answers_sent_without_the_data_wrapper_are_refused_with_where_they_go(api: Api) -> None:
    case = open_case(api, aware_at=today())
    task = open_tasks(api, case["id"], "Task_NotifyPanel")[0]
    bm = api.as_("business_manager")
    body = _problem(bm.post(f"/api/v1/tasks/{task['id']}/complete", json={"notified_at": today()}), 422)
    assert body["detail"] == 'wrap the answers in "data": send {"data": {"notified_at": ...}}, not {"notified_at": ...}'
    assert body["errors"] == [{"field": "notified_at", "message": "a form field: put it inside data"}]
    body = _problem(bm.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}, "note": "x"}), 422)
    assert body["errors"] == [{"field": "note", "message": "not read: only data is"}]
    assert open_tasks(api, case["id"], "Task_NotifyPanel")  # nothing changed
    done = bm.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"notified_at": today()}})
    assert done.status_code == 200, done.text


def test_the_bare_address_points_to_the_docs(api: Api) -> None:
    links = api.client.get("/")
    assert links.status_code == 200
    assert links.json()["docs"] == "/docs" and links.json()["ready"] == "/health/ready"
    assert api.client.get(links.json()["docs"]).status_code == 200
    assert "/" not in api.client.get("/openapi.json").json()["paths"]


def _case() -> dict[str, Any]:
    return {
        "case_type": "cspr",
        "title": "Review",
        "subject_pseudonym": "Child K",
        "involved_agencies": ["police"],
        "data": {"aware_at": today(), "incident_type": "serious_harm"},
    }


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("LIF_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_lif_serve_on_a_busy_port_says_use_port_before_migrating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "never-migrated.db"
    monkeypatch.setenv("LIF_DATABASE_URL", f"sqlite:///{database}")
    get_settings.cache_clear()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert f"lif serve --port {port + 1}" in err
    assert not database.exists()  # checked before migrating: nothing was created


def test_lif_demo_twice_says_what_it_reused_and_reissues_the_tokens(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tokens.json"
    assert main(["demo", "--tokens-out", str(out)]) == 0
    first_run = capsys.readouterr().out
    assert "demo partnership 'northshire' created" in first_run and "example cases opened: CSPR-" in first_run
    first = json.loads(out.read_text())
    assert main(["demo", "--tokens-out", str(out)]) == 0
    second_run = capsys.readouterr().out
    assert "already there: reused" in second_run
    assert "example cases: kept from the earlier run" in second_run
    second = json.loads(out.read_text())
    with unit_of_work(write=False, url=cli_env) as session:
        users = len(session.exec(select(User)).all())
        live = session.exec(select(ApiToken).where(col(ApiToken.revoked_at).is_(None))).all()
    assert f"the {users} demo tokens of the earlier run are revoked" in second_run
    assert len(live) == users  # one live token per demo user, however often the demo runs
    assert not set(first.values()) & set(second.values())


def test_a_token_of_an_earlier_demo_run_is_refused(api: Api, db_url: str) -> None:
    old = api.tokens["business_manager"]
    with unit_of_work(url=db_url) as session:
        fresh = seed(session)["business_manager"]
    refused = _problem(api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}), 401)
    assert refused["detail"] == "the bearer token has expired or been revoked"
    assert api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200

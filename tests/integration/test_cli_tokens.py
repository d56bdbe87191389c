"""The command line's token and directory commands go through the same checks as the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from service.cli import main
from service.config import get_settings
from service.db.session import unit_of_work
from service.errors import Unauthenticated
from service.identity.tokens import authenticate, hash_token
from service.models import ApiToken


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("LIF_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def test_a_token_made_on_the_command_line_is_revoked_there(
    cli_env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["demo", "--tokens-out", str(tmp_path / "t.json")]) == 0
    capsys.readouterr()
    assert main(["token", "create", "--partnership", "northshire", "--email", "admin@northshire.example"]) == 0
    token = capsys.readouterr().out.strip()
    with unit_of_work(url=cli_env) as session:
        assert authenticate(session, token).name
        token_id = session.exec(select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))).one()
    assert main(["token", "revoke", "--id", str(token_id)]) == 0
    assert "revoked" in capsys.readouterr().out
    with unit_of_work(url=cli_env) as session, pytest.raises(Unauthenticated):
        authenticate(session, token)
    assert main(["token", "revoke", "--id", str(uuid.uuid4())]) == 1
    # The same checks as the API: a second agency with a taken code is refused with a message, not a crash.
    assert main(["agency", "add", "--partnership", "northshire", "--code", "police", "--name", "P", "--kind", "x"]) == 1
    assert "already an agency 'police'" in capsys.readouterr().err

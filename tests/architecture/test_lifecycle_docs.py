"""Every lifecycle in bpmn/ is documented for a business manager, with an up-to-date picture."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.config import REPO_ROOT
from service.processes.render import render_svg

DIAGRAMS = sorted((REPO_ROOT / "bpmn").glob("*.bpmn"))
INDEX = (REPO_ROOT / "docs" / "lifecycles" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.stem)
def test_each_lifecycle_is_listed_with_a_current_picture(path: Path) -> None:
    assert f"`{path.stem}`" in INDEX, f"docs/lifecycles/README.md does not list {path.stem}"
    picture = REPO_ROOT / "docs" / "lifecycles" / "img" / f"{path.stem}.svg"
    assert picture.exists(), f"run: lif draw bpmn/*.bpmn --out docs/lifecycles/img ({picture.name} is missing)"
    assert picture.read_text(encoding="utf-8") == render_svg(path.read_bytes()), (
        f"{picture.name} is out of date: run lif draw bpmn/*.bpmn --out docs/lifecycles/img"
    )


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.stem)
def test_each_lifecycle_links_to_a_step_list_that_exists(path: Path) -> None:
    row = next(line for line in INDEX.splitlines() if line.startswith(f"| `{path.stem}`"))
    target = row.split("](", 2)[1].split(")")[0]
    assert (REPO_ROOT / "docs" / "lifecycles" / target).resolve().exists(), f"{path.stem}: {target} missing"

"""The docs hold together: every relative link and #anchor resolves, and every code block that can be checked
is (JSON parses, Python compiles, shell passes `bash -n`, XML fragments are well-formed).
Fast: no server, no database."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest

from service.config import REPO_ROOT

PAGES = sorted([REPO_ROOT / "README.md", *(REPO_ROOT / "docs").rglob("*.md")])
FENCE = re.compile(r"^```[^\n]*\n.*?^```[ \t]*$", re.DOTALL | re.MULTILINE)
BLOCK = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SHELLS = {"bash", "sh", "shell", "console"}


def _prose(text: str) -> str:
    """The page without its fenced code blocks and inline code spans (links there are examples, not links)."""
    return re.sub(r"`[^`\n]*`", "", FENCE.sub("", text))


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors of a page: lower case, punctuation (backticks too) dropped, spaces to hyphens,
    -1, -2, ... for repeats."""
    found: set[str] = set()
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1))
        slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def _name(page: Path) -> str:
    return str(page.relative_to(REPO_ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ... are not checked here
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {_name(resolved)}")
    assert not broken, f"{_name(page)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_checkable_code_block_is_valid(page: Path, tmp_path: Path) -> None:
    problems = []
    for number, (tag, code) in enumerate(BLOCK.findall(page.read_text(encoding="utf-8")), start=1):
        language = tag.strip().split()[0] if tag.strip() else ""
        where = f"block {number} ({language or 'untagged'})"
        if language == "json":
            try:
                json.loads(code)
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
        elif language == "python":
            try:
                compile(code, f"{_name(page)}:{where}", "exec")
            except SyntaxError as exc:
                problems.append(f"{where}: {exc}")
        elif language == "xml":
            # Fragments of a diagram: declare the prefixes they use, then check they are well-formed.
            prefixes = sorted(set(re.findall(r"</?([A-Za-z][\w-]*):", code)))
            declared = " ".join(f'xmlns:{p}="urn:{p}"' for p in prefixes)
            try:
                ElementTree.fromstring(f"<fragment {declared}>{code}</fragment>")
            except ElementTree.ParseError as exc:
                problems.append(f"{where}: {exc}")
        elif language in SHELLS:
            script = tmp_path / f"block{number}.sh"
            script.write_text(code)
            checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
            if checked.returncode:
                problems.append(f"{where}: {checked.stderr.strip()}")
    assert not problems, f"{_name(page)}: " + "; ".join(problems)


def test_the_readme_configuration_table_lists_every_setting() -> None:
    """Each LIF_ setting the service reads has its row (name, default, meaning) in the README."""
    from service.config import Settings

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    first_cells = re.findall(r"^\| (`LIF_[^|]+)\|", readme, re.M)  # e.g. "`LIF_HOST` / `LIF_PORT` "
    documented = {name for cell in first_cells for name in re.findall(r"LIF_[A-Z0-9_]+", cell)}
    missing = sorted(
        f"LIF_{field.upper()}" for field in Settings.model_fields if f"LIF_{field.upper()}" not in documented
    )
    assert not missing, f"add these to README's configuration table: {missing}"

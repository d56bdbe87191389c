"""The impact trace drawn as a picture: one row per recommendation, one box per link, gaps in red.

One drawing (matplotlib, loaded on first use) gives both the SVG the API serves and the PNG the documents embed,
so the picture in the yearly report is the picture on screen.
"""

from __future__ import annotations

import io
import textwrap
from collections import Counter
from dataclasses import dataclass
from typing import Any

from service.actions.recommendations import ADDRESSED
from service.workflow.action_sync import CLOSED_STATUSES

COLUMNS = (
    "Recommendation",
    "Actions",
    "Impact evidence",
    "Learning",
    "Disseminated",
    "Embedded",
    "Evaluated",
)
MAX_ROWS = 30  # a taller picture is unreadable on a page; the JSON trace has every row
COLOURS = {  # fill, edge
    "done": ("#dcefdc", "#2e7d32"),
    "partial": ("#fff1cc", "#b8860b"),
    "gap": ("#fadbd8", "#c0392b"),
    "none": ("#f2f2f2", "#9e9e9e"),
}


@dataclass(frozen=True)
class Cell:
    """One link of one row: what it says and how it stands (done, partial, gap, none)."""

    text: str
    state: str


def rows_of(reviews: list[dict[str, Any]]) -> list[list[Cell]]:
    """The picture's rows from traced reviews (each ``{"review": ..., "findings": [...]}``)."""
    rows: list[list[Cell]] = []
    for entry in reviews:
        review = entry["review"]
        if not entry["findings"]:
            rows.append([Cell(f"{review['reference']}: no recommendations", "gap")])
        for finding in entry["findings"]:
            rows.append(_cells(review["reference"], finding))
    return rows


def _cells(reference: str, finding: dict[str, Any]) -> list[Cell]:
    actions, items = finding["actions"], finding["learning_items"]
    recurring = " (recurring)" if finding["recurring"] else ""
    themes = ", ".join(t.replace("_", " ") for t in finding["themes"]) or "no theme"
    cells = [Cell(f"{reference} R{finding['number']}: {themes}{recurring}", "partial" if recurring else "done")]
    if not actions:
        cells.append(Cell("no action", "gap"))
    else:
        statuses = Counter(a["status"] for a in actions)
        settled = sum(n for s, n in statuses.items() if s in CLOSED_STATUSES or s in ADDRESSED)
        said = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(statuses.items()))
        cells.append(Cell(said, "done" if settled == len(actions) else "partial"))
    addressed = [a for a in actions if a["status"] in ADDRESSED]
    missing = sum(1 for a in addressed if not a["impact_evidence"])
    if not addressed:
        cells.append(Cell("not yet", "none"))
    else:
        cells.append(Cell(f"{len(addressed) - missing} of {len(addressed)}", "gap" if missing else "done"))
    if not items:
        cells.extend([Cell("no learning item", "none"), *[Cell("-", "none")] * 3])
        return cells
    cells.append(Cell(f"{len(items)} item(s)", "done"))
    disseminated = [i for i in items if i["dissemination"]]
    reach = sum(i["reach"] for i in items)
    cells.append(_count(len(disseminated), len(items), f"reach {reach}"))
    cells.append(_count(sum(1 for i in items if i["embedding"]), len(items), "embedded"))
    evaluated = [e for i in items for e in i["evaluation"]]
    outcomes = ", ".join(sorted({str(e.get("outcome")) for e in evaluated}))
    not_evaluated = sum(1 for i in items if not i["evaluation"])
    cells.append(Cell(outcomes if evaluated else "not evaluated", "gap" if not_evaluated else "done"))
    return cells


def _count(done: int, total: int, label: str) -> Cell:
    state = "done" if done == total else ("partial" if done else "none")
    return Cell(f"{done} of {total}: {label}" if done else "not yet", state)


def draw(rows: list[list[Cell]], *, title: str, fmt: str) -> bytes:
    """The picture as ``svg`` or ``png`` bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import FancyBboxPatch

    shown = rows[:MAX_ROWS]
    # Sized to be read at the 17 cm a page gives it: 7 columns, 8-point text.
    width, box_w, box_h, gap_x, gap_y = 0.2 + len(COLUMNS) * 1.45, 1.25, 0.72, 1.45, 0.88
    height = 1.3 + max(1, len(shown)) * gap_y
    plt.rcParams["svg.fonttype"] = "none"  # text stays text in the SVG (searchable, small)
    fig = plt.figure(figsize=(width, height), dpi=100)  # about 150 dpi at the 17 cm it is printed
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    ax.text(0.1, height - 0.3, title, fontsize=12, fontweight="bold", va="center")
    for c, name in enumerate(COLUMNS):
        ax.text(0.1 + c * gap_x + box_w / 2, height - 0.75, name, fontsize=9, ha="center", va="center", color="#333")
    # Boxes, lines and arrow heads each go in one collection: hundreds of separate artists draw ten times slower.
    boxes, fills, edges, lines, heads = [], [], [], [], []
    for r, row in enumerate(shown):
        y = height - 1.35 - r * gap_y
        for c, cell in enumerate(row):
            x = 0.1 + c * gap_x
            fill, edge = COLOURS[cell.state]
            boxes.append(FancyBboxPatch((x, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0.02"))
            fills.append(fill)
            edges.append(edge)
            label = "\n".join(textwrap.wrap(cell.text, 17)[:3])
            ax.text(x + box_w / 2, y, label, fontsize=8, ha="center", va="center")
            if c:
                lines.append([(x - (gap_x - box_w) + 0.02, y), (x - 0.04, y)])
                heads.append((x - 0.05, y))
    ax.add_collection(PatchCollection(boxes, facecolors=fills, edgecolors=edges, linewidths=1))
    ax.add_collection(LineCollection(lines, colors="#555", linewidths=0.8))
    if heads:
        ax.scatter([h[0] for h in heads], [h[1] for h in heads], marker=">", s=14, color="#555", zorder=3)
    if len(rows) > MAX_ROWS:
        ax.text(0.1, 0.15, f"… and {len(rows) - MAX_ROWS} more rows in the JSON trace", fontsize=7)
    if not rows:
        ax.text(0.1, height - 1.35, "Nothing to trace yet: no review with recommendations.", fontsize=8)
    buffer = io.BytesIO()
    if fmt == "png":
        fig.savefig(buffer, format=fmt, pil_kwargs={"compress_level": 1})  # a little larger, much faster
    else:
        fig.savefig(buffer, format=fmt)
    plt.close(fig)
    return buffer.getvalue()

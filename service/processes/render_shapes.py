"""Drawing primitives for :mod:`service.processes.render`: SVG elements, wrapped text, BPMN glyphs and markers.

Everything is built with lxml, so text is escaped on serialisation. Coordinates are BPMNDI (diagram) units.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

SVG = "http://www.w3.org/2000/svg"
ICON_TAGS = frozenset(
    {"userTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask", "manualTask"}
)
Point = tuple[float, float]

# Event definition glyphs drawn as a polygon, points relative to the centre in units of the event's radius.
_POLYGONS: dict[str, list[Point]] = {
    "signal": [(0, -0.5), (0.45, 0.3), (-0.45, 0.3)],
    "error": [(-0.45, 0.45), (-0.15, -0.4), (0.1, 0.05), (0.45, -0.45), (0.15, 0.4), (-0.1, -0.05)],
    "escalation": [(0, -0.5), (0.35, 0.45), (0, 0.1), (-0.35, 0.45)],
    "link": [(-0.45, -0.15), (0.1, -0.15), (0.1, -0.4), (0.5, 0), (0.1, 0.4), (0.1, 0.15), (-0.45, 0.15)],
    "compensate": [(-0.5, 0), (-0.05, -0.35), (-0.05, 0), (0.4, -0.35), (0.4, 0.35), (-0.05, 0), (-0.05, 0.35)],
}


@dataclass(frozen=True)
class Box:
    """A rectangle in diagram coordinates."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def rect(self) -> dict[str, str | float]:
        return {"x": self.x, "y": self.y, "width": self.w, "height": self.h}


def num(value: float) -> str:
    """A coordinate as short text: ``12``, ``12.5``, ``-3.25``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def pair(point: Point) -> str:
    return f"{num(point[0])} {num(point[1])}"


def el(parent: Any, tag: str, attrs: Mapping[str, str | float] | None = None, text: str | None = None) -> Any:
    """Append an SVG element; numbers are formatted, text is escaped by lxml."""
    node = etree.SubElement(parent, f"{{{SVG}}}{tag}")
    for name, value in (attrs or {}).items():
        node.set(name, value if isinstance(value, str) else num(value))
    if text is not None:
        node.text = text
    return node


_TOKEN = re.compile(r"\S+?-(?=\S)|\S+")  # a word, or the part of a hyphenated word up to and including a hyphen
FONT_STEPS = ((12.0, 14.0), (11.0, 13.0), (10.0, 12.0))  # font size and line height, largest first
CHAR_RATIO = 7.0 / 12.0  # approximate character width per unit of font size (7px at 12px)


def _tokens(paragraph: str) -> list[tuple[str, bool]]:
    """Words and hyphen-split word parts, each with whether it follows the previous one without a space."""
    found: list[tuple[str, bool]] = []
    end = -1
    for match in _TOKEN.finditer(paragraph):
        found.append((match.group(), match.start() == end))
        end = match.end()
    return found


def wrap_text(text: str, width: float, char_width: float) -> list[str]:
    """Greedy word wrap to lines of at most ``width // char_width`` characters.

    Hyphenated words may break after a hyphen; a word longer than a whole line is split.
    """
    limit = max(1, int(width // char_width))
    lines: list[str] = []
    for paragraph in text.splitlines():
        current = ""
        for word, glued in _tokens(paragraph):
            while len(word) > limit:
                if current:
                    lines.append(current)
                    current = ""
                lines.append(word[:limit])
                word = word[limit:]
            joined = current + ("" if glued else " ") + word
            if current and len(joined) <= limit:
                current = joined
            else:
                if current:
                    lines.append(current)
                current = word
        if current:
            lines.append(current)
    return lines


def fit_text(text: str, width: float, height: float) -> tuple[float, float, list[str]] | None:
    """The largest (font size, line height, lines) at which ``text`` fits the area without splitting a word."""
    longest = max((len(word) for line in text.splitlines() for word, _ in _tokens(line)), default=0)
    for size, line_height in FONT_STEPS:
        lines = wrap_text(text, width, size * CHAR_RATIO)
        if longest * size * CHAR_RATIO <= width and len(lines) * line_height <= height:
            return size, line_height, lines
    return None


def text_block(
    parent: Any,
    lines: Sequence[str],
    x: float,
    cy: float,
    line_height: float,
    cls: str,
    *,
    anchor: str = "middle",
    transform: str | None = None,
    max_lines: int | None = None,
    font_size: float | None = None,
) -> None:
    """Lines of text (one ``<tspan>`` each) centred vertically on ``cy``; extra lines end in an ellipsis."""
    shown = list(lines)
    if max_lines is not None and len(shown) > max_lines:
        last = shown[max_lines - 1]
        shown = [*shown[: max_lines - 1], last[: max(1, len(last) - 1)].rstrip() + "\u2026"]
    if not shown:
        return
    attrs: dict[str, str | float] = {"class": cls, "text-anchor": anchor}
    if transform:
        attrs["transform"] = transform
    if font_size is not None:
        attrs["style"] = f"font-size:{num(font_size)}px"
    text = el(parent, "text", attrs)
    top = cy - len(shown) * line_height / 2
    for index, line in enumerate(shown):
        el(text, "tspan", {"x": x, "y": top + index * line_height + line_height * 0.74}, text=line)


def markers(defs: Any) -> None:
    """Arrowheads for sequence flows (plain and taken) and message flows, and the message-flow start circle."""
    for marker_id, colour, fill in (
        ("lif-arrow", "#444", "#444"),
        ("lif-arrow-taken", "#1b5e20", "#1b5e20"),
        ("lif-arrow-open", "#444", "#fff"),
    ):
        marker = el(defs, "marker", {"id": marker_id, "viewBox": "0 0 10 10", "refX": 10, "refY": 5})
        for name, value in {"markerWidth": "11", "markerHeight": "11", "markerUnits": "userSpaceOnUse"}.items():
            marker.set(name, value)
        marker.set("orient", "auto")
        el(marker, "path", {"d": "M 0.5 0.5 L 10 5 L 0.5 9.5 Z", "fill": fill, "stroke": colour, "stroke-width": 1})
    circle = el(defs, "marker", {"id": "lif-circle", "viewBox": "0 0 10 10", "refX": 5, "refY": 5})
    circle.set("markerWidth", "9")
    circle.set("markerHeight", "9")
    circle.set("markerUnits", "userSpaceOnUse")
    el(circle, "circle", {"cx": 5, "cy": 5, "r": 4, "fill": "#fff", "stroke": "#444", "stroke-width": 1})


def event(group: Any, tag: str, definitions: Sequence[str], box: Box) -> None:
    """Start: thin circle; end: thick circle; intermediate and boundary: double circle; then the definition glyph."""
    cx, cy, r = box.cx, box.cy, min(box.w, box.h) / 2
    el(group, "circle", {"class": "body", "cx": cx, "cy": cy, "r": r})
    if tag in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "implicitThrowEvent"):
        el(group, "circle", {"class": "inner", "cx": cx, "cy": cy, "r": max(r - 3, 1)})
    throw = " filled" if tag in ("endEvent", "intermediateThrowEvent") else ""
    kind = definitions[0] if len(definitions) == 1 else ("multiple" if definitions else "")
    if kind == "timer":
        el(group, "circle", {"class": "glyph thin", "cx": cx, "cy": cy, "r": r * 0.62})
        ticks = []
        for hour in range(12):
            a = hour * math.pi / 6
            ticks.append(f"M {pair(_polar(cx, cy, r * 0.5, a))} L {pair(_polar(cx, cy, r * 0.62, a))}")
        el(group, "path", {"class": "glyph thin", "d": " ".join(ticks)})
        hands = f"M {pair((cx, cy - r * 0.45))} L {pair((cx, cy))} L {pair((cx + r * 0.32, cy + r * 0.08))}"
        el(group, "path", {"class": "glyph hand open", "d": hands})
    elif kind == "message":
        envelope(group, Box(cx - r * 0.5, cy - r * 0.34, r, r * 0.68), bool(throw))
    elif kind == "terminate":
        el(group, "circle", {"class": "glyph filled", "cx": cx, "cy": cy, "r": r * 0.6})
    elif kind == "cancel":
        el(group, "path", {"class": "mark", "d": _cross(cx, cy, r * 0.32)})
    elif kind == "conditional":
        page = Box(cx - r * 0.35, cy - r * 0.45, r * 0.7, r * 0.9)
        el(group, "rect", {"class": "glyph", **page.rect()})
        rows = " ".join(f"M {pair((page.x + 2, page.y + page.h * f))} h {num(page.w - 4)}" for f in (0.25, 0.5, 0.75))
        el(group, "path", {"class": "glyph thin", "d": rows})
    elif kind in _POLYGONS or kind == "multiple":
        corners = _POLYGONS.get(kind) or [_polar(0, 0, 0.45, i * 2 * math.pi / 5 - math.pi) for i in range(5)]
        points = " ".join(pair((cx + px * r, cy + py * r)) for px, py in corners)
        el(group, "polygon", {"class": "glyph" + throw, "points": points})


def _polar(cx: float, cy: float, radius: float, angle: float) -> Point:
    """A point at ``angle`` (radians, clockwise from 12 o'clock) on a circle."""
    return (cx + radius * math.sin(angle), cy - radius * math.cos(angle))


def _cross(cx: float, cy: float, d: float) -> str:
    a, b = pair((cx - d, cy - d)), pair((cx + d, cy + d))
    return f"M {a} L {b} M {pair((cx + d, cy - d))} L {pair((cx - d, cy + d))}"


def _plus(cx: float, cy: float, d: float) -> str:
    return f"M {pair((cx, cy - d))} L {pair((cx, cy + d))} M {pair((cx - d, cy))} L {pair((cx + d, cy))}"


def envelope(group: Any, box: Box, filled: bool) -> None:
    el(group, "rect", {"class": "glyph" + (" filled" if filled else ""), **box.rect()})
    flap = f"M {pair((box.x, box.y))} L {pair((box.cx, box.y + box.h * 0.55))} L {pair((box.x + box.w, box.y))}"
    el(group, "path", {"class": "glyph thin open" + (" inverse" if filled else ""), "d": flap})


def gateway(group: Any, tag: str, box: Box, marker_visible: bool, instantiate: bool) -> None:
    """A diamond with its marker: exclusive X, parallel +, inclusive O, event-based circled pentagon, complex *."""
    cx, cy, s = box.cx, box.cy, min(box.w, box.h)
    corners = [(cx, box.y), (box.x + box.w, cy), (cx, box.y + box.h), (box.x, cy)]
    el(group, "polygon", {"class": "body", "points": " ".join(pair(p) for p in corners)})
    x_mark, plus_mark = _cross(cx, cy, s * 0.17), _plus(cx, cy, s * 0.24)
    if tag == "exclusiveGateway" and marker_visible:
        el(group, "path", {"class": "marker", "d": x_mark})
    elif tag == "parallelGateway":
        el(group, "path", {"class": "marker", "d": plus_mark})
    elif tag == "complexGateway":
        el(group, "path", {"class": "marker", "d": plus_mark + " " + x_mark})
    elif tag == "inclusiveGateway":
        el(group, "circle", {"class": "marker", "cx": cx, "cy": cy, "r": s * 0.24})
    elif tag == "eventBasedGateway":
        el(group, "circle", {"class": "glyph thin", "cx": cx, "cy": cy, "r": s * 0.28})
        if not instantiate:
            el(group, "circle", {"class": "glyph thin", "cx": cx, "cy": cy, "r": s * 0.23})
        pentagon = [_polar(cx, cy, s * 0.14, i * 2 * math.pi / 5) for i in range(5)]
        el(group, "polygon", {"class": "glyph thin", "points": " ".join(pair(p) for p in pentagon)})


def task_icon(group: Any, tag: str, box: Box) -> bool:
    """A small type icon in the top-left corner of a task; returns whether one was drawn."""
    x, y = box.x + 7, box.y + 6
    if tag == "userTask":
        el(group, "path", {"class": "icon", "d": f"M {pair((x, y + 14))} a 7 6 0 0 1 14 0 Z"})
        el(group, "circle", {"class": "icon", "cx": x + 7, "cy": y + 4.5, "r": 3.5})
    elif tag == "scriptTask":
        el(group, "rect", {"class": "icon", "x": x + 1, "y": y, "width": 12, "height": 14, "rx": 2})
        el(group, "path", {"class": "icon", "d": " ".join(f"M {pair((x + 4, y + dy))} h 6" for dy in (4, 7, 10))})
    elif tag == "serviceTask":
        el(group, "circle", {"class": "icon gear", "cx": x + 7, "cy": y + 7, "r": 6})
        el(group, "circle", {"class": "icon", "cx": x + 7, "cy": y + 7, "r": 4.5})
        el(group, "circle", {"class": "icon", "cx": x + 7, "cy": y + 7, "r": 1.8})
    elif tag in ("sendTask", "receiveTask"):
        envelope(group, Box(x, y + 2, 15, 10), tag == "sendTask")
    elif tag == "businessRuleTask":
        el(group, "rect", {"class": "icon", "x": x, "y": y + 1, "width": 15, "height": 12})
        el(group, "path", {"class": "icon", "d": f"M {pair((x, y + 5))} h 15 M {pair((x + 5, y + 5))} v 8"})
    elif tag == "manualTask":
        el(group, "text", {"class": "icon-text", "x": x, "y": y + 11}, text="M")
    else:
        return False
    return True


def activity_markers(group: Any, names: Sequence[str], box: Box) -> None:
    """Bottom-centre markers: collapsed sub-process +, multi-instance bars, loop arrow, ad hoc tilde."""
    left = box.cx - (len(names) * 16 - 4) / 2
    y = box.y + box.h - 16
    for index, name in enumerate(names):
        x = left + index * 16
        if name == "collapsed":
            el(group, "rect", {"class": "glyph", "x": x, "y": y, "width": 12, "height": 12})
            d = f"M {pair((x + 6, y + 3))} v 6 M {pair((x + 3, y + 6))} h 6"
        elif name == "parallel":
            d = " ".join(f"M {pair((x + dx, y + 1))} v 10" for dx in (2, 6, 10))
        elif name == "sequential":
            d = " ".join(f"M {pair((x + 1, y + dy))} h 10" for dy in (2, 6, 10))
        elif name == "loop":
            start = pair((x + 3, y + 10))
            d = f"M {start} A 5 5 0 1 1 {pair((x + 9, y + 10))} M {start} l 0 -3.5 M {start} l 3.5 0"
        else:
            d = f"M {pair((x, y + 7))} q 3 -5 6 0 t 6 0"
        el(group, "path", {"class": "mark", "d": d})


def artifact(group: Any, kind: str, box: Box) -> None:
    """Data object (folded page), data store (cylinder), text annotation (bracket), group, or a plain rectangle."""
    x, y, w, h = box.x, box.y, box.w, box.h
    if kind == "data-object":
        fold = min(12.0, w / 3)
        corners = [(x, y), (x + w - fold, y), (x + w, y + fold), (x + w, y + h), (x, y + h)]
        page = "M " + " L ".join(pair(p) for p in corners) + " Z"
        el(group, "path", {"class": "body", "d": page})
        corner = f"M {pair((x + w - fold, y))} L {pair((x + w - fold, y + fold))} L {pair((x + w, y + fold))}"
        el(group, "path", {"class": "glyph thin open", "d": corner})
    elif kind == "data-store":
        e, rx = min(8.0, h / 5), w / 2
        arc = f"A {num(rx)} {num(e)} 0 0"
        top_left, top_right = pair((x, y + e)), pair((x + w, y + e))
        body = f"M {top_left} {arc} 1 {top_right} L {pair((x + w, y + h - e))} {arc} 1 {pair((x, y + h - e))} Z"
        el(group, "path", {"class": "body", "d": body})
        front = f"M {top_left} {arc} 0 {top_right}"
        el(group, "path", {"class": "glyph thin open", "d": front})
    elif kind == "annotation":
        el(group, "rect", {**box.rect(), "fill": "transparent", "stroke": "none"})  # hit area only
        el(group, "path", {"class": "body", "d": f"M {pair((x + 10, y))} L {pair((x, y))} L {pair((x, y + h))} h 10"})
    else:
        el(group, "rect", {"class": "body", **box.rect(), **({"rx": 10} if kind == "group" else {})})


def default_slash(group: Any, start: Point, towards: Point) -> None:
    """The default-flow mark: a short slash across the flow near its source."""
    dx, dy = towards[0] - start[0], towards[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    at = min(10.0, length / 2)
    cx, cy = start[0] + ux * at, start[1] + uy * at
    ox, oy = -uy * 6 - ux * 4, ux * 6 - uy * 4
    el(group, "path", {"class": "slash", "d": f"M {pair((cx + ox, cy + oy))} L {pair((cx - ox, cy - oy))}"})


def midpoint(points: Sequence[Point]) -> Point:
    """The point halfway along a polyline."""
    segments = list(itertools.pairwise(points))
    lengths = [math.dist(a, b) for a, b in segments]
    remaining = sum(lengths) / 2
    for (a, b), length in zip(segments, lengths, strict=True):
        if length >= remaining and length > 0:
            t = remaining / length
            return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
        remaining -= length
    return points[len(points) // 2]


def legend(svg: Any, x: float, y: float) -> None:
    """A key to the state colours, below the diagram's bottom-left corner."""
    group = el(svg, "g", {"class": "legend"})
    el(group, "rect", {"class": "frame", "x": x, "y": y, "width": 480, "height": 32, "rx": 4})
    for index, (state, label) in enumerate((("completed", "Completed"), ("active", "Active"), ("overdue", "Overdue"))):
        item = el(group, "g", {"class": f"legend-item {state}"})
        left = x + 10 + index * 120
        el(item, "rect", {"class": "body", "x": left, "y": y + 8, "width": 26, "height": 16, "rx": 4})
        el(item, "text", {"x": left + 34, "y": y + 20}, text=label)
    item = el(group, "g", {"class": "legend-item flow taken"})
    left = x + 10 + 3 * 120
    el(item, "path", {"class": "line", "d": f"M {pair((left, y + 16))} h 30", "marker-end": "url(#lif-arrow)"})
    el(item, "text", {"x": left + 38, "y": y + 20}, text="Taken")

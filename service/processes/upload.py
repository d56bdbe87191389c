"""Cheap checks on an uploaded diagram before any real parsing: size, encoding, element count and depth."""

from __future__ import annotations

import io
import re

from lxml import etree

from service.errors import InvalidInput

MAX_DIAGRAM_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 20_000  # the largest shipped diagram has a few hundred; a million empty ones took 27 s to validate
MAX_DEPTH = 50
_DECLARED = re.compile(rb"""\A\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}
_SAVE_AS_UTF8 = "save the file as UTF-8 (with or without a byte order mark) and upload it again"


def check_diagram(xml: bytes, *, field: str = "file") -> None:
    """Refuse (422 naming ``field``) a diagram too big, not UTF-8, with a DOCTYPE, or too many or too deep elements."""
    if len(xml) > MAX_DIAGRAM_BYTES:
        _refuse(field, "the diagram is too large", f"at most {MAX_DIAGRAM_BYTES // (1024 * 1024)} MiB")
    body = xml.removeprefix(b"\xef\xbb\xbf")
    declared = _DECLARED.match(body)
    try:
        body.decode("utf-8")
        utf8 = b"\x00" not in body  # UTF-16 without a byte order mark is "valid" UTF-8 full of NULs
    except UnicodeDecodeError:
        utf8 = False
    if not utf8 or (declared is not None and declared[1].lower() not in _UTF8_NAMES):
        named = f' (it says encoding="{declared[1].decode()}")' if declared is not None else ""
        _refuse(field, f"the diagram is not UTF-8{named}", _SAVE_AS_UTF8)
    _check_shape(body, field)


def _check_shape(xml: bytes, field: str) -> None:
    # iterparse stops at the first element over the limit: bounded work whatever the file holds.
    count = depth = 0
    events = etree.iterparse(
        io.BytesIO(xml), events=("start", "end"), resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        for event, element in events:
            if event == "end":
                depth -= 1
                continue
            if count == 0 and element.getroottree().docinfo.doctype:
                # Modelers never write one; entities are never expanded, but say so plainly instead of failing later.
                _refuse(field, "the diagram has a DOCTYPE", "remove the <!DOCTYPE ...> declaration: BPMN needs none")
            count, depth = count + 1, depth + 1
            if count > MAX_ELEMENTS:
                _refuse(field, "the diagram has too many elements", f"at most {MAX_ELEMENTS:,} XML elements")
            if depth > MAX_DEPTH:
                _refuse(field, "the diagram is nested too deeply", f"at most {MAX_DEPTH} levels of nested elements")
    except etree.XMLSyntaxError:
        return  # malformed XML is reported, with its line, by the full validation


def _refuse(field: str, detail: str, message: str) -> None:
    raise InvalidInput(detail, [{"field": field, "message": message}])

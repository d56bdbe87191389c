"""JSON columns are written by orjson yet read back as the standard library wrote and read them."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from typing import Any

import pytest

from service.db.json_codec import dumps, loads


class Colour(enum.StrEnum):
    RED = "red"


class Count(enum.IntEnum):
    TWO = 2


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1.5, None, True, "é\u2028"], "nested": {"deep": [{}]}},
        {1: "one", False: "no", None: "none", 2.5: "half"},  # keys that are not strings, as json.dumps writes them
        {"colour": Colour.RED, "count": Count.TWO},  # subclasses go to the standard library
        {"big": 2**70, "small": -(2**70)},  # beyond 64 bits
        [],
        "text",
        12,
    ],
)
def test_what_is_written_reads_back_as_the_standard_library_reads_it(value: Any) -> None:
    written = dumps(value)
    assert json.loads(written) == json.loads(json.dumps(value))
    assert loads(written) == json.loads(json.dumps(value))


def test_what_the_standard_library_refused_is_still_refused() -> None:
    for refused in (dt.datetime(2026, 12, 4, tzinfo=dt.UTC), dt.date(2026, 12, 4), object()):
        with pytest.raises(TypeError):
            json.dumps({"at": refused})
        with pytest.raises(TypeError):
            dumps({"at": refused})


def test_a_uuid_is_written_as_its_text_and_nan_as_null() -> None:
    ident = uuid.uuid4()
    assert loads(dumps({"id": ident})) == {"id": str(ident)}
    assert loads(dumps({"n": float("nan"), "i": float("inf")})) == {"n": None, "i": None}


def test_text_the_standard_library_wrote_with_nan_is_still_read() -> None:
    stored = json.dumps({"n": float("nan"), "x": 1})
    read = loads(stored)
    assert read["x"] == 1 and read["n"] != read["n"]  # NaN is the one value unequal to itself
    assert loads(stored.encode()) is not None

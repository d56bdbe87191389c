"""Sizes of results known before the work is done.

The size budget (:mod:`service.engine.budget`) is checked on every value an expression builds, but some
operations would take seconds or gigabytes to build a value that is then refused: ``"x" * 10**9``,
``"%200000000d" % 1``, ``s.replace("", big)``, ``sep.join(...)``. Their result size is cheap to predict from the
operands, so these are refused before Python starts on them.
"""

from __future__ import annotations

import re
from typing import Any

from service.engine.budget import MAX_SIZE, BudgetExceeded, size_of

# printf-style conversion: %[(name)][flags][width][.precision]type; width/precision '*' come from the arguments.
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_repeat(sequence: Any, count: Any) -> None:
    """``sequence * count`` for strings, lists and tuples."""
    repeatable = isinstance(sequence, str | bytes | list | tuple) and isinstance(count, int) and count > 0
    if repeatable and size_of(sequence) * count > MAX_SIZE:
        raise BudgetExceeded(f"repeating a value {count:,} times would be larger than the size budget")


def check_format(template: Any) -> None:
    """``template % values``: refuse widths and precisions that alone exceed the budget, and ``*`` widths."""
    if not isinstance(template, str | bytes):
        return
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    for match in _CONVERSION.finditer(text):
        for part in match.groups():
            if part == "*":
                raise BudgetExceeded("'*' widths in % formatting are not allowed; write the width in the text")
            if part is not None and int(part) > MAX_SIZE:
                raise BudgetExceeded(f"a % format width of {int(part):,} is larger than the size budget")


def check_method(receiver: Any, method: str, args: list[Any]) -> None:
    """String methods whose result can be much larger than their inputs."""
    if not isinstance(receiver, str):
        return
    if method == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        old, new = args[0], args[1]
        occurrences = receiver.count(old) if old else len(receiver) + 1
        if len(receiver) + occurrences * max(0, len(new) - len(old)) > MAX_SIZE:
            raise BudgetExceeded("the replaced text would be larger than the size budget")
    if method == "join" and args and isinstance(args[0], list | tuple):
        parts = args[0]
        total = sum(len(part) for part in parts if isinstance(part, str)) + len(receiver) * max(0, len(parts) - 1)
        if total > MAX_SIZE:
            raise BudgetExceeded("the joined text would be larger than the size budget")

"""The evaluation budget: how much work one engine step may do before it is refused.

Diagrams come from process owners, so every expression, script, condition, timer and domain function is
bounded three ways, all checked *before* the work is done where that can be known:

* **size**: no value may grow past ``MAX_SIZE`` units (a character, an element, or 64 bits of an integer
  each count one; nested containers count everything inside them, shared parts once per use, because that
  is what comparing, sorting or printing them costs);
* **depth**: source nesting is capped in :mod:`service.engine.expressions` (``MAX_DEPTH``);
* **time**: one engine step (start, complete, fire timers, deliver a message, one simulated step) may spend
  at most ``STEP_SECONDS`` of CPU time in the engine: the step's own thread's processor time, not wall-clock
  time, so a step is charged for the work it does and not for waiting while other requests share the cores.
  The interpreter checks the clock at every node it evaluates and the runtime after every task the engine
  completes, so a step over budget stops within one bounded operation of the limit, and the request is
  refused with nothing changed.

On SQLite an engine step runs under the database write lock (``BEGIN IMMEDIATE``), so the step budget is
also the longest a refused step can keep another partnership's write waiting. On PostgreSQL the step locks
only its own instance row.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MAX_SIZE = 1_000_000
STEP_SECONDS = 1.0


class BudgetExceeded(ValueError):
    """The step used up its evaluation budget (time or size); it is refused and nothing it did is kept."""


@dataclass
class _Deadline:
    at: float
    seconds: float


_current: contextvars.ContextVar[_Deadline | None] = contextvars.ContextVar("lif_step_deadline", default=None)


@contextlib.contextmanager
def step(seconds: float | None = None) -> Iterator[None]:
    """Run one engine step under a deadline (nested calls keep the outer, earlier one)."""
    limit = STEP_SECONDS if seconds is None else seconds
    outer = _current.get()
    deadline = _Deadline(time.thread_time() + limit, limit)
    if outer is not None and outer.at <= deadline.at:
        yield
        return
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)


def check_time() -> None:
    """Refuse when the current step is over its time budget (a no-op outside a step)."""
    deadline = _current.get()
    if deadline is not None and time.thread_time() > deadline.at:
        raise BudgetExceeded(
            f"the step used more than its evaluation budget of {deadline.seconds:g} s of processor time; "
            "simplify the scripts or conditions it runs"
        )


def size_of(value: Any, limit: int = MAX_SIZE) -> int:
    """The cost units of ``value``; counting stops (returning more than ``limit``) as soon as it passes it.

    A part used many times counts each time (comparing ``[x] * n`` walks ``x`` n times), and a cycle counts
    until the limit, so the count never costs more than ``limit`` steps whatever the value is.
    """
    total = 0
    stack: list[Any] = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) or 1
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 64 + 1
        elif isinstance(item, dict):
            total += len(item) or 1
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item) or 1
            stack.extend(item)
        else:
            total += 1
    return total


def check_size(value: Any, what: str = "the result") -> Any:
    """Refuse a value larger than the size budget; returns it unchanged otherwise."""
    if size_of(value) > MAX_SIZE:
        raise BudgetExceeded(f"{what} would be larger than the size budget ({MAX_SIZE:,} units)")
    return value

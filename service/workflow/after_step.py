"""Work that follows a step, registered by the features that own it (linked cases, actions, learning items).

The stepper runs every registered hook last, once the step is applied, so a step a hook starts (a linked case,
a review's plan closing) sees this one. Features register themselves; the stepper imports none of them, so
imports point one way: feature → stepper → this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from service import engine
from service.models import Case


@dataclass(frozen=True)
class StepDone:
    """One applied step: the case, its definition, the new snapshot and what was true before it."""

    case: Case
    definition: engine.LoadedDefinition
    snapshot: engine.Snapshot
    passed_before: frozenset[str]  # elements completed before the step
    was_waiting: frozenset[str]  # messages the instance waited for before the step


AfterStep = Callable[[Session, StepDone], None]
_HOOKS: list[tuple[int, AfterStep]] = []

OPEN_LINKED_CASES = 0  # first: the cases a step asked for exist before anything reacts to the step
PROJECTIONS = 10


def after_step(order: int) -> Callable[[AfterStep], AfterStep]:
    """Register a hook to run after every step; lower ``order`` runs first (ties: registration order)."""

    def register(hook: AfterStep) -> AfterStep:
        _HOOKS.append((order, hook))
        _HOOKS.sort(key=lambda entry: entry[0])
        return hook

    return register


def run_after_step(session: Session, done: StepDone) -> None:
    """Run every registered hook (importing service.workflow registers the shipped ones)."""
    for _, hook in _HOOKS:
        hook(session, done)

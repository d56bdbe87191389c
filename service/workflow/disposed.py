"""A finished instance whose data was disposed of at the end of its retention: its engine state is a marker.

Nothing runs a finished instance again (the stepper refuses any status but ``running``); what still reads a
finished instance reads the projected columns (element ids for the picture, the audit log for the history). Only
a migration plan needs the engine state, and it answers 410 Gone for a disposed instance.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.errors import Gone
from service.models import ProcessInstance

DISPOSED_KEY = "disposed_at"


def disposed_state(at: dt.datetime) -> dict[str, Any]:
    """The engine state a disposed instance keeps: no task, no data, only when it was disposed."""
    return {DISPOSED_KEY: at.isoformat()}


def refuse_if_disposed(instance: ProcessInstance) -> None:
    """410 Gone when the instance's engine state was removed by disposal."""
    if DISPOSED_KEY in (instance.state or {}):
        raise Gone(
            f"the process instance's engine state was disposed of on {instance.state[DISPOSED_KEY][:10]} at the end "
            "of its retention; its diagram, history and kept variables can still be read"
        )

"""The served process's heap: what exists once the app has started lives as long as the process, so the garbage
collector stops looking at it.

CPython's collector walks every tracked object in a full (oldest-generation) collection. After start-up that is
some 240,000 objects (the modules, the routes, the models' schemas, the loaded diagrams), none of which will ever
be garbage, and a full collection held the interpreter for about 0.25 s: the request that triggered it, and every
request waiting behind the lock, took that long. ``gc.freeze()`` moves them to a permanent generation that no
collection walks; objects made later (a request's) are collected as before. The ``gc.collect()`` first frees
start-up's own garbage, so nothing that is already unreachable is frozen with the rest.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def settle() -> None:
    """Collect start-up's garbage, then take everything left out of later collections (once, after start-up)."""
    gc.collect()
    gc.freeze()
    log.debug("%d objects kept out of garbage collection", gc.get_freeze_count())

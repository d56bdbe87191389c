"""Running process instances: locking, stepping, and projecting tasks and timers.

Importing the package registers the work that follows every step (service/workflow/after_step.py): opening the
linked cases a step asked for, then the projections of lifecycles that own a row (an action, a learning item).
"""

from service.workflow import action_sync, learning_sync, opening

__all__ = ["action_sync", "learning_sync", "opening"]

"""Running process instances: locking, stepping, and projecting tasks and timers."""

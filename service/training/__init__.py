"""Multi-agency training: courses, events, nominations and selection, attendance, evaluation, refreshers."""

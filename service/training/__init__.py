"""The multi-agency training programme: courses, trainees, refreshers, events, selection and evaluation."""

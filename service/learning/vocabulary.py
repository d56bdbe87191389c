"""The words a learning item is described with (DOMAIN.md §3 and §6)."""

from __future__ import annotations

KINDS = {"lesson": "Lesson", "finding": "Finding", "good_practice": "Good practice"}

# Where learning comes from (DOMAIN.md §3): every source a learning item can cite.
SOURCE_TYPES = {
    "review": "A statutory or non-statutory review",
    "single_agency_audit": "Single-agency case-file audit",
    "multi_agency_audit": "Multi-agency case-file audit",
    "section11_audit": "Section 11, s175/157 or adult self-assessment audit",
    "performance_data": "Performance data and datasets",
    "voice_of_child_or_adult": "Voice of the child, adult or carer",
    "complaints_and_escalations": "Complaints, compliments, professional disputes, escalations, whistleblowing",
    "practitioner_feedback": "Practitioner and manager feedback, reflective practice",
    "national_review": "National reviews",
    "other_area_review": "Other areas' reviews",
    "child_death_overview_panel": "Child death overview panel themes",
    "training_evaluation": "Training evaluation",
    "best_practice_panel": "Best-practice panel",
    "inspection": "External inspection",
    "peer_review": "Peer review",
    "other": "Other",
}

STAGES = ("identified", "disseminated", "embedded", "evaluated")
TRAINING_LEVELS = (1, 2, 3, 4, 5)

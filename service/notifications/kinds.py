"""The kinds of notification, which task elements produce which kind, and which tasks hold a meeting."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """What a notification is about; preferences are set per kind."""

    TASK_AVAILABLE = "task_available"  # a new task I may claim (my role, my agency)
    TASK_ASSIGNED = "task_assigned"
    TASK_DUE_SOON = "task_due_soon"
    TASK_OVERDUE = "task_overdue"
    ESCALATION = "escalation"  # an escalation task for the business manager
    LEARNING_CASCADE = "learning_cascade"  # an agency lead is asked to cascade learning
    ACTION_RECHECK = "action_recheck"  # an action's sustainability re-check fell due
    CHASE = "chase"  # an open agency task chased on the partnership's schedule
    MEETING = "meeting"  # an iCalendar invitation, update or cancellation
    DIGEST = "digest"  # the daily digest itself (not a preference)


PREFERENCE_KINDS = tuple(k for k in Kind if k is not Kind.DIGEST)
DELIVERIES = ("immediate", "digest", "off")

# A created task of these elements is announced as its own kind instead of task_available.
ELEMENT_KINDS = {"Task_ConfirmCascade": Kind.LEARNING_CASCADE, "Task_ConfirmSustained": Kind.ACTION_RECHECK}
ESCALATION_STAGE = "Escalation"

# Tasks that schedule a meeting (bpmn/*.bpmn): they may send an iCalendar invitation to the members concerned.
MEETING_ELEMENTS = frozenset(
    {
        "Task_HoldRapidReviewMeeting",
        "Task_HoldChildDeathReviewMeeting",
        "Task_ReviewAtChildDeathOverviewPanel",
        "Task_HoldAuditMeeting",
        "Task_HoldLearningMeeting",
        "Task_ConveneBestPracticePanel",
        "Task_HoldChallengeEvent",
    }
)

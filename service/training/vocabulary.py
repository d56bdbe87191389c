"""The words a course's audience is described in: Working Together's eight target groups, and levels 1-5."""

from __future__ import annotations

# Working Together to Safeguard Children (2010) grouped the workforce into eight target groups by how much
# their work brings them into contact with children and families and how much safeguarding responsibility
# they hold; partnerships map them onto training levels (e.g. Kirklees §7). These are summaries.
TARGET_GROUPS: dict[str, str] = {
    "group_1": "Staff in occasional contact with children, young people or parents and carers, who may become "
    "aware of possible abuse or neglect.",
    "group_2": "Staff in regular contact with children, young people or parents and carers, who may be asked to "
    "contribute to assessing, planning and reviewing a child's needs.",
    "group_3": "Staff who work mainly with children, young people or parents and carers and who assess, plan, "
    "intervene and review where there are safeguarding concerns.",
    "group_4": "Staff with a particular responsibility for safeguarding: designated and named professionals, "
    "designated safeguarding leads.",
    "group_5": "Operational managers at all levels who supervise staff working with children and families.",
    "group_6": "Senior managers responsible for the strategic management and commissioning of services.",
    "group_7": "Members of the safeguarding partnership and its subgroups.",
    "group_8": "Those who design and deliver safeguarding training and development (trainers).",
}

# A course may also name a job role as its audience, written "role:<job role>", e.g. "role:social worker":
# a nominated trainee whose role is that job role fits the course.
ROLE_PREFIX = "role:"

LEVELS = range(1, 6)

NOMINATION_STATUSES = ("nominated", "selected", "refused", "confirmed", "withdrawn")
EVENT_STATUSES = ("nominations_open", "places_confirmed", "delivered")


def is_target_group(value: str) -> bool:
    """A target group code or a ``role:`` job role."""
    return value in TARGET_GROUPS or (value.startswith(ROLE_PREFIX) and bool(value[len(ROLE_PREFIX) :].strip()))


def role_group(job_role: str) -> str:
    """The ``role:`` audience entry that matches a trainee's job role."""
    return ROLE_PREFIX + " ".join(job_role.lower().split())

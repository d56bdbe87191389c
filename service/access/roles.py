"""The roles a user can hold. Lane names in diagrams map onto these (see docs/modelling.md)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role within their partnership."""

    BUSINESS_MANAGER = "business_manager"
    CASE_REVIEW_GROUP_MEMBER = "case_review_group_member"
    INDEPENDENT_REVIEWER = "independent_reviewer"
    # The chair of the board, partnership, Community Safety Partnership or MAPPA Strategic Management Board:
    # takes the statutory decisions (commission a DHR, approve a MAPPA report for publication).
    PARTNERSHIP_CHAIR = "partnership_chair"
    AGENCY_SAFEGUARDING_LEAD = "agency_safeguarding_lead"
    PARTNERSHIP_ADMIN = "partnership_admin"
    PROCESS_OWNER = "process_owner"
    PLATFORM_ADMIN = "platform_admin"  # the hosting team: deploys diagrams shared by every partnership
    # Reads the access log, answers subject access requests, runs the disposal dry run; sees no case by default.
    DATA_PROTECTION_OFFICER = "data_protection_officer"


ALL_ROLES = frozenset(role.value for role in Role)
# Roles that may open cases (who then *sees* a case is need-to-know: service/access/need_to_know.py).
CASE_MANAGERS = frozenset(
    {Role.BUSINESS_MANAGER, Role.CASE_REVIEW_GROUP_MEMBER, Role.PARTNERSHIP_CHAIR, Role.PARTNERSHIP_ADMIN}
)
# Roles that may list every task they can see (`GET /tasks?scope=all`) and read the dashboards: those who manage
# cases, and an agency's safeguarding lead for their agency's part. Others (an independent reviewer, a process
# owner, the DPO) work from their own list: what is assigned to them or theirs to claim.
WORK_OVERSEERS = CASE_MANAGERS | {Role.AGENCY_SAFEGUARDING_LEAD}

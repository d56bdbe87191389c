"""Dashboard response models: counts, each with the link to the list behind it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from service.access.roles import Role


class CountRead(BaseModel):
    """How many, and where they are listed."""

    count: int = Field(ge=0)
    link: str = Field(
        description="Relative URL of the list behind the count (the list endpoint's own filters); following it "
        "lists `count` items (a clock list may take more than one page: follow `next_cursor`)."
    )


class StageCountRead(BaseModel):
    """Open cases of one type in one stage."""

    stage: str
    open_cases: CountRead


class CaseTypeCountRead(BaseModel):
    """Open cases of one type (see `GET /case-types`), and by stage."""

    case_type: str
    open_cases: CountRead
    by_stage: list[StageCountRead] = Field(
        description="A case in parallel stages counts in each; one not yet in a stage counts in none."
    )


class ClockCountRead(BaseModel):
    """One clock (its key as in a case's `clocks`) across the open cases."""

    clock: str
    name: str
    overdue: CountRead
    due_soon: CountRead = Field(description="Due within `LIF_DUE_SOON_WORKING_DAYS` working days, not yet met.")


class RoleCountRead(BaseModel):
    """Overdue tasks for one role."""

    role: Role | None
    overdue_tasks: CountRead


class AgencyTaskCountRead(BaseModel):
    """Overdue tasks for one agency (null: tasks for no agency), and by role."""

    agency: str | None
    overdue_tasks: CountRead
    by_role: list[RoleCountRead]


class DashboardRead(BaseModel):
    """The counts a business manager scans every morning, within what you may see (need-to-know)."""

    agency: str | None = Field(description="The agency the counts are for; null for the whole partnership.")
    as_of: Instant = Field(description="When the counts were taken (overdue and due soon are as of then).")
    open_cases: CountRead
    cases_by_type: list[CaseTypeCountRead]
    clocks: list[ClockCountRead] = Field(description="Every clock running on an open case, overdue and due soon.")
    overdue_tasks: CountRead = Field(description="Open tasks past their due moment.")
    overdue_tasks_by_agency: list[AgencyTaskCountRead]
    overdue_actions: CountRead = Field(description="Actions still owed by their agency and past their due date.")

"""Authentication reads the caller's partnership whole and keeps it for the request (service/identity/tokens.py).

What that must not break: the case number taken from the partnership row (UPDATE ... RETURNING) is the row's new
number, not the one the authentication read; and what it buys: a completion reads the partnership no second time.
"""

from __future__ import annotations

import re

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import open_case, open_tasks, sql_statements

_PARTNERSHIP_READ = re.compile(r"^\s*SELECT\b.*\bFROM partnership\s+WHERE\b", re.IGNORECASE | re.DOTALL)


def _number(reference: str) -> int:
    return int(reference.rsplit("-", 1)[1])


def test_cases_opened_one_after_another_by_one_token_get_consecutive_numbers(api: Api) -> None:
    numbers = [_number(open_case(api, aware_at=today(), title=f"Review {i}")["reference"]) for i in range(3)]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_a_completion_reads_the_partnership_only_with_the_token(api: Api, db_url: str) -> None:
    case = open_case(api, aware_at=today())
    (task,) = open_tasks(api, case["id"], "Task_NotifyPanel")
    with sql_statements(db_url) as statements:
        done = api.as_("business_manager").post(
            f"/api/v1/tasks/{task['id']}/complete", json={"data": {"notified_at": today()}}
        )
    assert done.status_code == 200, done.text
    assert open_tasks(api, case["id"], "Task_ProvideRapidReviewInformation"), "the process did not move on"
    token_reads = [s for s in statements if "FROM api_token" in s and "partnership" in s]
    assert token_reads, "the token was not read with its partnership"
    assert [s for s in statements if _PARTNERSHIP_READ.match(s)] == []

"""The TypeScript scenario (ts/scenario.ts) again, through the client openapi-python-client generated: typed models
in, typed models or typed Problem bodies out (run.sh type-checks it with mypy --strict). Any surprise exits non-zero.
Usage: python scenario.py BASE_URL TOKEN (with the generated package ``lif_client`` importable)."""

from __future__ import annotations

import sys
from typing import Any, TypeVar
from uuid import UUID

from lif_client import AuthenticatedClient
from lif_client.api.cases import create_case, get_case, list_case_types
from lif_client.api.processes import get_definition_xml
from lif_client.api.tasks import claim_task, complete_task, get_task, list_tasks
from lif_client.models import (
    CaseCreate,
    CaseCreateData,
    CaseRead,
    PageCaseTypeRead,
    PageTaskSummary,
    Problem,
    TaskCompletion,
    TaskCompletionData,
    TaskRead,
)
from lif_client.models.list_tasks_state_type_0 import ListTasksStateType0
from lif_client.types import Response

T = TypeVar("T")


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"unexpected: {what}")


def body(response: Response[Any], kind: type[T]) -> T:
    """The parsed body, which must be of ``kind``."""
    check(isinstance(response.parsed, kind), f"{kind.__name__}, got {response.status_code}: {response.content!r}")
    assert isinstance(response.parsed, kind)
    return response.parsed


def problem(response: Response[Any], status: int, slug: str) -> Problem:
    found = body(response, Problem)
    check(found.status == status and response.status_code == status, f"{status}, got {found.status}: {found.detail}")
    check(found.type_.endswith(f"/problems/{slug}"), f"problem type {slug}, got {found.type_}")
    check(bool(found.correlation_id), "a correlation id")
    return found


def main(base_url: str, token: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)

    types = body(list_case_types.sync_detailed(client=client), PageCaseTypeRead)
    cspr = next(t for t in types.items if t.key == "cspr")
    xml = get_definition_xml.sync_detailed(cspr.definition_id, client=client)
    check(xml.status_code == 200 and isinstance(xml.parsed, str) and 'id="cspr"' in xml.parsed, "the BPMN XML")

    start = CaseCreateData.from_dict({"aware_at": "2026-11-02", "incident_type": "serious_harm"})
    new = CaseCreate(
        case_type=cspr.key, title="Generated client check", subject_pseudonym="Child P", involved_agencies=["police"]
    )
    new.data = start
    opened = create_case.sync_detailed(client=client, body=new)
    check(opened.status_code == 201, f"201 Created, got {opened.status_code}")
    case = body(opened, CaseRead)

    first = get_case.sync_detailed(case.id, client=client)
    etag = first.headers.get("etag")
    check(etag is not None, "a case has an ETag")
    unchanged = get_case.sync_detailed(case.id, client=client, if_none_match=etag or "")
    check(unchanged.status_code == 304 and not unchanged.content, f"304 while unchanged, got {unchanged.status_code}")

    mine = body(
        list_tasks.sync_detailed(client=client, case_id=case.id, state=ListTasksStateType0.OPEN), PageTaskSummary
    )
    notify = next(t for t in mine.items if t.element_id == "Task_NotifyPanel")
    task_id: UUID = notify.id
    read = get_task.sync_detailed(task_id, client=client)
    task = body(read, TaskRead)
    first_etag = read.headers["etag"]
    check(first_etag.startswith(f'"{task.version}-'), f"the ETag starts with the version, got {first_etag}")

    claimed = claim_task.sync_detailed(task_id, client=client, if_match=first_etag)
    body(claimed, TaskRead)
    current = claimed.headers["etag"]
    check(current != first_etag, "claiming gives a new ETag")

    def submit(answers: dict[str, object], etag: str) -> Response[Problem | TaskRead]:
        form = TaskCompletion(data=TaskCompletionData.from_dict(answers))
        return complete_task.sync_detailed(task_id, client=client, body=form, if_match=etag)

    problem(submit({"notified_at": "2026-11-03"}, first_etag), 412, "precondition-failed")
    invalid = problem(submit({"notified_at": "not a date"}, current), 422, "invalid-input")
    fields = [e.field for e in invalid.errors] if isinstance(invalid.errors, list) else []
    check(any("notified_at" in f for f in fields), f"errors[] names notified_at, got {fields}")

    done = body(submit({"notified_at": "2026-11-03", "child_looked_after": False}, current), TaskRead)
    check(done.state == "completed", f"completed, got {done.state}")
    print(f"python scenario: case {case.reference} opened, task completed, 304, 412 and 422 handled")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""A step refused for its evaluation budget keeps nobody else waiting for longer than the budget.

On SQLite every write takes the one database write lock, so a step that ran unbounded would stop every
partnership's writes (issue: a long timer computation blocked all writes until the process was killed).
Here a worst-case step from one partnership runs over a real socket while another partnership opens a case.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from service.engine import budget
from service.engine.functions import today
from tests.security.test_malicious_diagrams import RUNTIME, diagram

WORST = next(entry for entry in RUNTIME if entry.name == "repeated sorting of a large list")


def _post(base: str, token: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs)


def test_another_partnerships_write_proceeds_while_a_worst_case_step_is_refused(
    live_server: str, tokens: dict[str, str]
) -> None:
    deployed = _post(
        live_server,
        tokens["process_owner"],
        "/api/v1/process-definitions",
        files={"file": ("budget_probe.bpmn", diagram(WORST).encode(), "application/xml")},
        data={"change_note": "worst case"},
    )
    assert deployed.status_code == 201, deployed.text[:300]
    hostile: dict[str, Any] = {}

    def run_hostile() -> None:
        started = time.monotonic()
        hostile["response"] = _post(
            live_server,
            tokens["business_manager"],
            "/api/v1/cases",
            json={"case_type": "budget_probe", "title": "hostile", "subject_pseudonym": "n/a", "data": {}},
        )
        hostile["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run_hostile)
    thread.start()
    time.sleep(0.3)  # the hostile step is now running (it takes its whole budget)
    assert thread.is_alive()
    started = time.monotonic()
    other = _post(
        live_server,
        tokens["other"],
        "/api/v1/cases",
        json={
            "case_type": "sar",
            "title": "Elsewhere's review",
            "subject_pseudonym": "Adult E",
            "involved_agencies": ["police"],
            "data": {"referral_date": today(), "referral_source": "agency_referral", "referral_summary": "n/a"},
        },
    )
    waited = time.monotonic() - started
    thread.join(timeout=30)

    assert other.status_code == 201, other.text[:300]
    assert hostile["response"].status_code == 409 and "evaluation budget" in hostile["response"].json()["detail"]
    # The hostile step is bounded by its processor-time budget (wall-clock stretches on a loaded machine), and the
    # other partnership waited at most for the rest of it, plus its own work.
    assert hostile["seconds"] < 6 * budget.STEP_SECONDS
    assert waited < hostile["seconds"] + 1.5, f"the other partnership waited {waited:.2f} s"

"""A stored value of the wrong kind never makes a case unreadable: the clock says why instead."""

from __future__ import annotations

import time
import uuid

from service.db.session import unit_of_work
from service.engine.functions import today
from service.models import ProcessInstance
from tests.conftest import Api
from tests.helpers import clock, get_case, open_case


def test_a_clock_met_by_a_non_date_is_shown_unreadable_not_a_500(api: Api, db_url: str) -> None:
    case = open_case(api, aware_at=today())
    with unit_of_work(url=db_url) as session:
        instance = session.get(ProcessInstance, uuid.UUID(case["instance_id"]))
        assert instance is not None
        instance.variables = {**instance.variables, "notified_at": "x"}
        session.add(instance)
    started = time.process_time()  # processor time: other test workers share the cores
    read = get_case(api, case["id"])
    assert time.process_time() - started < 2
    notification = clock(read, "notification")
    assert notification["status"] == "unreadable" and "'x'" in notification["reason"]
    assert clock(read, "rapid_review")["status"] != "unreadable"

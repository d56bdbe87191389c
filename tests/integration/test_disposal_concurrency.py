"""Two workers' daily disposal runs at the same moment: everything is disposed of, and logged, exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from service.db.session import unit_of_work
from service.identity import directory
from service.jobs.disposal import dispose_all
from service.models import DisposalEntry, Trainee, TrainingRecord


def test_simultaneous_runs_dispose_and_log_each_item_once(db_url: str, tmp_path: Path) -> None:
    with unit_of_work(url=db_url) as session:
        partnership = directory.create_partnership(session, key="racing", name="Racing SCP", kind="children")
        for n in range(5):
            trainee = Trainee(
                partnership_id=partnership.id, name=f"T{n}", email=f"t{n}@x.example", agency="police", role="pc"
            )
            session.add(trainee)
            session.flush()
            record = TrainingRecord(
                partnership_id=partnership.id,
                trainee_id=trainee.id,
                description="Level 1",
                level=1,
                completed_on=dt.date(2015, 1, 1),
                source="external",
            )
            session.add(record)
    barrier = threading.Barrier(2)
    totals: list[dict[str, int]] = []

    def worker() -> None:
        barrier.wait()
        totals.append(dispose_all(as_of=dt.date(2026, 1, 1), url=db_url, evidence_dir=tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(t.get("training_record", 0) for t in totals) == [0, 5]  # one run did it all, the other nothing
    with unit_of_work(write=False, url=db_url) as session:
        assert session.exec(select(func.count()).select_from(DisposalEntry)).one() == 5
        assert {t.name for t in session.exec(select(Trainee)).all()} == {"Disposed trainee"}

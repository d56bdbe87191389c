"""How long each statutory document takes to generate: on the demo data, then with N reviews preloaded.

    .venv/bin/python bench/reports.py                 # demo data, then 1,000 CSPR cases (temp SQLite)
    .venv/bin/python bench/reports.py --cases 200 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/lif_rb

Every case preloaded gets one recommendation and one action (its own lifecycle case), so the yearly report, the
impact trace and the composite plan have a chain to follow. Documents are generated in-process (no HTTP), each
format timed separately; the first call of a process also pays for loading matplotlib (measured apart).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import fresh_database, preload, setup
from bench.support import Progress, log


def _principal(url: str, token: str) -> object:
    from service.db.session import unit_of_work
    from service.identity.tokens import authenticate

    with unit_of_work(write=False, url=url) as session:
        return authenticate(session, token)


def _case_id(url: str, reference: str) -> str:
    from sqlmodel import select

    from service.db.session import unit_of_work
    from service.models import Case

    with unit_of_work(write=False, url=url) as session:
        return str(session.exec(select(Case.id).where(Case.reference == reference)).one())


def _add_chains(url: str, principal: object, case_ids: list[str]) -> None:
    import uuid

    from service.actions.plan import create_action
    from service.actions.recommendations import create_recommendation
    from service.db.session import unit_of_work

    progress = Progress("recommendation + action per case", len(case_ids))
    for start in range(0, len(case_ids), 100):
        progress.update(start)
        with unit_of_work(url=url) as session:
            for case_id in case_ids[start : start + 100]:
                rec = create_recommendation(
                    session,
                    principal,  # type: ignore[arg-type]
                    uuid.UUID(case_id),
                    finding="Agencies did not share",
                    text="Share within 24 hours",
                    themes=["information_sharing"],
                    principles=[],
                )
                create_action(
                    session,
                    principal,  # type: ignore[arg-type]
                    rec.recommendation.id,
                    owner_agency="police",
                    lead_name="DI Shaw",
                    description="Copy every referral to health within 24 hours",
                    due_date=dt.date(2030, 1, 31),
                    impact_measure="share copied within 24 hours",
                    baseline="40%",
                )
    progress.finish()


def _time_documents(url: str, principal: object, case_id: str, label: str) -> list[tuple[str, str, float]]:
    import uuid

    from service.db.session import unit_of_work
    from service.reports import service, trace

    year = dt.date.today().year - (1 if dt.date.today().month < 4 else 0)
    rows: list[tuple[str, str, float]] = []

    def timed(name: str, fmt: str, call: object) -> None:
        with unit_of_work(write=False, url=url) as session:  # as a request reads: the audit entry writes apart
            started = time.perf_counter()
            call(session)  # type: ignore[operator]
            rows.append((name, fmt, (time.perf_counter() - started) * 1000))

    timed("impact trace (case)", "json", lambda s: trace.case_trace(s, principal, uuid.UUID(case_id)))
    timed("impact trace (theme)", "json", lambda s: trace.theme_trace(s, principal, "information_sharing"))
    for fmt in service.Format:
        timed(
            "rapid-review-summary",
            fmt.value,
            lambda s, f=fmt: service.case_document(
                s, principal, uuid.UUID(case_id), service.CaseDocument.RAPID_REVIEW_SUMMARY, f, database_url=url
            ),
        )
        for kind in service.PartnershipReport:
            timed(
                kind.value,
                fmt.value,
                lambda s, k=kind, f=fmt: service.partnership_report(s, principal, k, year, f, database_url=url),
            )
    log(f"\n{label}")
    for name, fmt, ms in rows:
        log(f"  {name:<24} {fmt:<5} {ms:8.0f} ms")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with fresh_database(args.database_url, keep=False) as (url, _):
        from service.config import get_settings
        from service.db.session import unit_of_work
        from service.demo import open_examples

        tokens = setup(url)
        with unit_of_work(url=url) as session:
            opened = open_examples(session, get_settings().bpmn_dir)
        principal = _principal(url, tokens["business_manager"])
        started = time.perf_counter()
        import matplotlib.pyplot  # noqa: F401  (measured apart: paid once per process)

        log(f"matplotlib loaded in {(time.perf_counter() - started) * 1000:.0f} ms")
        demo_case = _case_id(url, next(r for r in opened if r.startswith("CSPR-")))
        _time_documents(url, principal, demo_case, f"demo data ({len(opened)} example cases)")
        loaded = preload(url, tokens, cases=args.cases, batch=200, fraction=1.0)
        _add_chains(url, principal, loaded["case_ids"])
        _time_documents(url, principal, loaded["case_ids"][0], f"{args.cases:,} CSPR cases, each with a chain")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

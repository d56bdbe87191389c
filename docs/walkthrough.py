"""Walk a Child Safeguarding Practice Review (CSPR) from creation to `closed`, today, over the REST API.

Standard library only. With the demo running (`lif demo --tokens-out demo-tokens.json && lif serve`):

    python3 docs/walkthrough.py                      # http://127.0.0.1:8000, tokens from demo-tokens.json
    python3 docs/walkthrough.py --base-url http://127.0.0.1:8001 --tokens path/to/tokens.json

LIF_URL and LIF_TOKENS (a tokens file) set the same defaults; the file is `--tokens-out`'s JSON or what
`lif demo` prints (`lif demo > tokens.txt`). Every run opens a new case: each run sends a
fresh Idempotency-Key (a retried request with the same key would get the same case back, not a second one).
On any error the service's problem detail is printed and the script stops with exit status 1.

Nothing waits on the clock: the report is recorded as sent to the Panel, Secretary of State and Ofsted
three weeks ago, for publication yesterday. That is at least 7 working days' notice, so the process goes
straight to its publication timer; a date's timer is due at the end of that day (UK time), so yesterday's is
already due and the worker fires it within about a second. (A planned date of today would wait until
midnight; one with less notice asks for *Reschedule publication*.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

TODAY = dt.date.today().isoformat()
PLANNED = (dt.date.today() - dt.timedelta(days=1)).isoformat()
# 21 calendar days before that hold 15 weekdays: 7 working days' notice even across Christmas and New Year.
REPORT_SENT = (dt.date.today() - dt.timedelta(days=22)).isoformat()
# The draft and the final report come before the report is sent (the forms refuse dates out of order).
DRAFTED = (dt.date.today() - dt.timedelta(days=23)).isoformat()


class Api:
    """A tiny JSON client: one bearer token per call; any 4xx/5xx prints the problem detail and exits."""

    def __init__(self, base_url: str, tokens: dict[str, str]):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.tokens = tokens

    def call(self, role: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.tokens[role]}")
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            fail(f"{method} {path} as {role}", error.code, error.read())
        except urllib.error.URLError as error:
            sys.exit(f"cannot reach {self.base}: {error.reason}. Is `lif serve` running? (--base-url / LIF_URL)")

    def open_task(self, case_id: str, element_id: str, agency: str | None = None, wait: float = 0.0) -> str:
        """The id of the case's open task for a BPMN element (and agency); waits up to ``wait`` seconds."""
        deadline = time.monotonic() + wait
        while True:
            items = self.call("business_manager", "GET", f"/tasks?case_id={case_id}&state=open&scope=all&limit=200")[
                "items"
            ]
            for task in items:
                if task["element_id"] == element_id and (agency is None or task["agency"] == agency):
                    return str(task["id"])
            if time.monotonic() >= deadline:
                open_ones = ", ".join(sorted(t["element_id"] for t in items)) or "none"
                sys.exit(f"no open task {element_id} on case {case_id}; open tasks: {open_ones}")
            time.sleep(0.25)

    def complete(
        self, role: str, case_id: str, element_id: str, answers: dict[str, Any], agency: str | None = None
    ) -> None:
        """Complete the open task of ``element_id`` with ``answers`` (always wrapped in "data")."""
        task_id = self.open_task(case_id, element_id, agency)
        done = self.call(role, "POST", f"/tasks/{task_id}/complete", {"data": answers})
        print(f"  done: {done['name']}" + (f" ({agency})" if agency else "") + f"  [{role}]")


def fail(what: str, status: int, raw: bytes) -> None:
    """Print the service's problem detail (RFC 9457) and stop."""
    print(f"\nFAILED: {what}: HTTP {status}", file=sys.stderr)
    try:
        problem = json.loads(raw)
    except ValueError:
        print(raw.decode(errors="replace"), file=sys.stderr)
        sys.exit(1)
    print(f"  title:  {problem.get('title')}\n  detail: {problem.get('detail')}", file=sys.stderr)
    for error in problem.get("errors") or []:
        print(f"  - {error.get('field')}: {error.get('message')}", file=sys.stderr)
    print(f"  correlation_id: {problem.get('correlation_id')}", file=sys.stderr)
    sys.exit(1)


def walk(api: Api) -> str:
    """Drive one CSPR to `closed`; returns its id."""
    me = {
        role: api.call(role, "GET", "/me")["user_id"] for role in ("case_review_group_member", "independent_reviewer")
    }
    key = f"walkthrough-{uuid.uuid4()}"
    print(f"1. Open the case (Idempotency-Key: {key})")
    case = api.call(
        "business_manager",
        "POST",
        "/cases",
        {
            "case_type": "cspr",
            "title": "Serious incident (walkthrough)",
            "subject_pseudonym": "Child K",
            "involved_agencies": ["police", "health", "la"],
            # The review team: without membership the group member and the reviewer would not see the case.
            "members": [
                {"user_id": me["case_review_group_member"], "case_role": "panel_member"},
                {"user_id": me["independent_reviewer"], "case_role": "independent_reviewer"},
            ],
            "data": {"aware_at": TODAY, "incident_type": "serious_harm", "subject_name": "Kai Example"},
        },
        {"Idempotency-Key": key},
    )
    case_id = str(case["id"])
    print(f"  opened {case['reference']} ({case_id}); stage {case['stages']}")
    bm, crg, ir, chair = "business_manager", "case_review_group_member", "independent_reviewer", "partnership_chair"

    print("2. Notify the Panel; each involved agency returns rapid review information")
    api.complete(bm, case_id, "Task_NotifyPanel", {"notified_at": TODAY})
    for agency in ("police", "health", "la"):
        answers = {"agency_involvement": "Two home visits", "chronology_summary": "Attached"}
        api.complete(
            f"agency_safeguarding_lead:{agency}", case_id, "Task_ProvideRapidReviewInformation", answers, agency
        )

    print("3. Rapid review meeting and decision; the Panel's response")
    meeting = {
        "meeting_date": TODAY,
        "decision": "local_cspr",
        "decision_at": TODAY,
        "decision_rationale": "Criteria met",
    }
    api.complete(crg, case_id, "Task_HoldRapidReviewMeeting", meeting)
    api.complete(bm, case_id, "Task_SendRapidReviewToPanel", {"sent_to_panel_at": TODAY})
    api.complete(bm, case_id, "Task_RecordPanelResponse", {"panel_response": "agrees", "panel_response_at": TODAY})

    print("4. The local review: scope, terms of reference, reviewer, involvement, draft, quality assurance")
    scope = {"review_period_from": "2025-01-01", "review_period_to": TODAY, "scope_summary": "12 months before"}
    api.complete(crg, case_id, "Task_ScopeReview", scope)
    api.complete(crg, case_id, "Task_AgreeTermsOfReference", {"terms_of_reference": "ToR v1", "methodology": "silp"})
    # A reviewer declaring an affiliation with an involved agency would be refused and the appointment asked again.
    reviewer = {"reviewer_name": "J. Doe", "reviewer_declared_affiliations": "", "reviewer_declaration_signed": True}
    api.complete(bm, case_id, "Task_AppointIndependentReviewer", reviewer)
    sessions = {"practitioner_sessions_held": 2, "practitioner_involvement_summary": "Workshops held"}
    api.complete(ir, case_id, "Task_InvolvePractitioners", sessions)
    api.complete(
        ir, case_id, "Task_OfferFamilyInvolvement", {"family_offer_made_at": TODAY, "family_response": "accepted"}
    )
    api.complete(
        ir, case_id, "Task_WriteDraftReport", {"draft_report_reference": "DRAFT-1", "draft_submitted_at": DRAFTED}
    )
    api.complete(crg, case_id, "Task_QualityAssureDraft", {"qa_outcome": "approved"})
    api.complete(
        ir, case_id, "Task_SubmitFinalReport", {"final_report_reference": "FINAL-1", "final_report_at": DRAFTED}
    )

    print("5. Publication: decide, redact, a second person checks the redaction, send with 7 working days' notice")
    decision = {"publication_decision": "publish", "publication_decision_rationale": "Public interest"}
    api.complete(crg, case_id, "Task_DecideOnPublication", decision)
    api.complete(bm, case_id, "Task_PrepareRedactedReport", {"redacted_report_reference": "FINAL-1-REDACTED"})
    # The chair checks: whoever prepared the redacted report is refused this check (403).
    api.complete(chair, case_id, "Task_CheckRedaction", {"redaction_checked": True})
    notice = {"report_sent_at": REPORT_SENT, "planned_publication_date": PLANNED}
    api.complete(bm, case_id, "Task_SendReportBeforePublication", notice)

    print("6. The publication date (yesterday) is reached: the worker fires the timer; publish, then recommendations")
    api.open_task(case_id, "Task_PublishReport", wait=30)
    published = {"published_at": TODAY, "publication_url": "https://example.org/cspr"}
    api.complete(bm, case_id, "Task_PublishReport", published)
    recommendations = {"recommendations": "1. Share information earlier", "recommendation_count": 1}
    api.complete(crg, case_id, "Task_RecordRecommendations", recommendations)

    final = api.call(bm, "GET", f"/cases/{case_id}")
    clocks = ", ".join(f"{c['key']}={c['status']}" for c in final.get("clocks", []))
    print(f"{final['reference']} is {final['status']}; clocks: {clocks}")
    if final["status"] != "closed":
        sys.exit(f"expected the case to be closed, it is {final['status']}")
    return case_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("LIF_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--tokens", type=Path, default=Path(os.environ.get("LIF_TOKENS", "demo-tokens.json")))
    args = parser.parse_args()
    if not args.tokens.is_file():
        sys.exit(f"no tokens file {args.tokens}: run `lif demo --tokens-out {args.tokens}` first (or --tokens)")
    walk(Api(args.base_url, read_tokens(args.tokens.read_text())))


def read_tokens(text: str) -> dict[str, str]:
    """Role → token from `lif demo --tokens-out` (JSON) or from what `lif demo` prints (`role  token` lines)."""
    try:
        return dict(json.loads(text))
    except ValueError:
        pairs = (line.split() for line in text.splitlines())
        return {words[0]: words[1] for words in pairs if len(words) == 2 and words[1].startswith("lif_")}


if __name__ == "__main__":
    main()

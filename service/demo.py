"""`lif demo`: a fictional partnership with agencies, one user per role and a few example cases."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

import service.notifications  # noqa: F401  (registers the e-mail notices: example cases tell their people too)
from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.cases.service import create_case
from service.db.types import utcnow
from service.engine.functions import add_working_days
from service.identity import directory
from service.identity.tokens import create_token
from service.learning.items import create_learning_item
from service.models import ApiToken, Case, Partnership, User
from service.processes import registry

DEMO_KEY = "northshire"
DEMO_TOKEN_NAME = "demo"
AGENCIES = [
    ("police", "Northshire Police", "police"),
    ("health", "Northshire Integrated Care Board", "health"),
    ("la", "Northshire Council Children's Services", "local_authority"),
    ("education", "Northshire Schools", "education"),
    ("probation", "Northshire Probation Service", "probation"),
    ("asc", "Northshire Council Adult Social Care", "local_authority"),
]
USERS = [
    (Role.BUSINESS_MANAGER, "Bea Morgan", "business.manager@northshire.example", None),
    (Role.CASE_REVIEW_GROUP_MEMBER, "Colin Reeves", "crg.member@northshire.example", None),
    (Role.INDEPENDENT_REVIEWER, "Irene Vale", "reviewer@independent.example", None),
    (Role.PARTNERSHIP_CHAIR, "Chris Hale", "chair@northshire.example", None),
    (Role.PARTNERSHIP_ADMIN, "Pat Adams", "admin@northshire.example", None),
    (Role.PROCESS_OWNER, "Owen Price", "process.owner@northshire.example", None),
    (Role.DATA_PROTECTION_OFFICER, "Dana Okafor", "dpo@northshire.example", None),
    # A second business manager: a SAR's or MAPPA review's redaction is checked by another business manager.
    (Role.BUSINESS_MANAGER, "Sam Patel", "sam.patel@northshire.example", None),
]


@dataclass(frozen=True)
class DemoSeed:
    """What `lif demo` did: the fresh tokens, whether the partnership was new, how many old tokens it revoked."""

    tokens: dict[str, str]
    created: bool
    revoked: int


def seed(session: Session) -> dict[str, str]:
    """Create (or reuse) the demo partnership; issue fresh tokens. Returns role (and role:agency) → token."""
    return seed_demo(session).tokens


def seed_demo(session: Session) -> DemoSeed:
    """Create (or reuse) the demo partnership; revoke the demo tokens of an earlier run and issue fresh ones."""
    partnership = session.exec(select(Partnership).where(Partnership.key == DEMO_KEY)).first()
    created = partnership is None
    if partnership is None:
        partnership = directory.create_partnership(
            session,
            key=DEMO_KEY,
            # Joint: children's and adults' safeguarding and community safety in one arrangement, so the demo can
            # open every review type (a children-only partnership cannot open a SAR or a DHR).
            name="Northshire Safeguarding Partnership (demo)",
            kind="joint",
            settings={"rapid_review_clock_start": "awareness"},
        )
        for code, name, kind in AGENCIES:
            directory.add_agency(session, partnership_id=partnership.id, code=code, name=name, kind=kind)
        for role, name, email, agency in USERS:
            directory.add_user(
                session,
                partnership_id=partnership.id,
                name=name,
                email=email,
                roles=[role.value],
                agency_code=agency,
            )
        for code, name, _ in AGENCIES:
            directory.add_user(
                session,
                partnership_id=partnership.id,
                name=f"Safeguarding lead, {name}",
                email=f"safeguarding.lead@{code}.northshire.example",
                roles=[Role.AGENCY_SAFEGUARDING_LEAD.value],
                agency_code=code,
            )
    revoked = _revoke_demo_tokens(session, partnership.id)
    tokens: dict[str, str] = {}
    users = session.exec(select(User).where(User.partnership_id == partnership.id).order_by(User.email)).all()
    for user in users:
        token = create_token(session, user_id=user.id, name=DEMO_TOKEN_NAME)
        for role_name in user.roles:
            if role_name == Role.AGENCY_SAFEGUARDING_LEAD.value:
                code = user.email.split("@")[1].split(".")[0]
                tokens[f"{role_name}:{code}"] = token
            elif role_name in tokens:  # a second holder of the role: keyed by the name before the @
                tokens[f"{role_name}:{user.email.split('@')[0]}"] = token
            else:
                tokens[role_name] = token
    # The plain role name maps to the first agency's lead (police), so every role has one token.
    first_agency = AGENCIES[0][0]
    tokens[Role.AGENCY_SAFEGUARDING_LEAD.value] = tokens[f"{Role.AGENCY_SAFEGUARDING_LEAD.value}:{first_agency}"]
    return DemoSeed(tokens=dict(sorted(tokens.items())), created=created, revoked=revoked)


def _revoke_demo_tokens(session: Session, partnership_id: uuid.UUID) -> int:
    """Revoke the still-valid tokens an earlier `lif demo` issued, so reruns do not pile up live tokens."""
    now = utcnow()
    stale = session.exec(
        select(ApiToken).where(
            ApiToken.partnership_id == partnership_id,
            ApiToken.name == DEMO_TOKEN_NAME,
            col(ApiToken.revoked_at).is_(None),
        )
    ).all()
    for token in stale:
        token.revoked_at = now
        session.add(token)
    if stale:
        record(
            session,
            partnership_id=partnership_id,
            actor=None,
            action="token.revoked",
            object_type="partnership",
            object_id=str(partnership_id),
            summary=f"{len(stale)} demo token(s) of an earlier `lif demo` revoked; fresh ones issued",
        )
    return len(stale)


def open_examples(session: Session, bpmn_dir: Path) -> list[str]:
    """Open a few example cases in the demo partnership (once): something to look at on first start."""
    partnership = session.exec(select(Partnership).where(Partnership.key == DEMO_KEY)).one()
    if session.exec(select(Case.id).where(Case.partnership_id == partnership.id)).first() is not None:
        return []
    registry.sync_bundled(session, bpmn_dir)
    manager = session.exec(
        select(User).where(User.partnership_id == partnership.id, User.email == "business.manager@northshire.example")
    ).one()
    principal = Principal(
        user_id=manager.id,
        partnership_id=partnership.id,
        name=manager.name,
        roles=frozenset(manager.roles),
        oversight=True,
    )
    # The review team: without membership the group member and the reviewer would not see these cases.
    team = [
        (user.id, case_role)
        for email, case_role in (
            ("crg.member@northshire.example", "panel_member"),
            ("reviewer@independent.example", "independent_reviewer"),
        )
        for user in session.exec(select(User).where(User.partnership_id == partnership.id, User.email == email))
    ]
    today = dt.date.today()
    referral = {"referral_source": "agency_referral", "referral_summary": "pseudonymised summary"}
    opened = []
    for case_type, title, subject, agencies, data in [
        (
            "cspr",
            "Serious harm, infant",
            "Child K",
            ["police", "health", "la"],
            {"aware_at": add_working_days(today, -3), "incident_type": "serious_harm"},
        ),
        (
            "sar",
            "Self-neglect, older adult",
            "Adult M",
            ["asc", "health", "police"],
            {"referral_date": (today - dt.timedelta(days=20)).isoformat(), **referral},
        ),
        (
            "referral_intake",
            "Referral from the police",
            "Child R",
            ["police", "education"],
            {"referral_date": today.isoformat(), **referral},
        ),
    ]:
        created = create_case(
            session,
            principal,
            case_type=case_type,
            title=title,
            subject_pseudonym=subject,
            involved_agencies=agencies,
            data=data,
            members=team,
        )
        opened.append(created.view.case.reference)
    learning = create_learning_item(
        session,
        principal,
        title="Ask who else lives in the home",
        summary="Practitioners accepted a parent's account without asking about a new partner in the household.",
        kind="lesson",
        source_type="national_review",
        source_case_id=None,
        source_recommendation_id=None,
        themes=["professional_curiosity", "fathers_and_significant_males"],
        principles=["protection"],
        audience_agencies=["police", "health", "la"],
        audience_roles=[],
        audience_levels=[2, 3],
        course_codes=[],
    )
    opened.append(learning.case_reference or "")
    return opened

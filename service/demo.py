"""`lif demo`: a fictional partnership with agencies and one user per role, ready to drive a CSPR."""

from __future__ import annotations

from sqlmodel import Session, select

from service.access.roles import Role
from service.identity import directory
from service.identity.tokens import create_token
from service.models import Partnership, User

DEMO_KEY = "northshire"
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
]


def seed(session: Session) -> dict[str, str]:
    """Create (or reuse) the demo partnership; issue fresh tokens. Returns role (and role:agency) → token."""
    partnership = session.exec(select(Partnership).where(Partnership.key == DEMO_KEY)).first()
    if partnership is None:
        partnership = directory.create_partnership(
            session,
            key=DEMO_KEY,
            name="Northshire Safeguarding Children Partnership (demo)",
            kind="children",
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
    tokens: dict[str, str] = {}
    users = session.exec(select(User).where(User.partnership_id == partnership.id).order_by(User.email)).all()
    for user in users:
        token = create_token(session, user_id=user.id, name="demo")
        for role_name in user.roles:
            if role_name == Role.AGENCY_SAFEGUARDING_LEAD.value:
                code = user.email.split("@")[1].split(".")[0]
                tokens[f"{role_name}:{code}"] = token
            else:
                tokens[role_name] = token
    # The plain role name maps to the first agency's lead (police), so every role has one token.
    first_agency = AGENCIES[0][0]
    tokens[Role.AGENCY_SAFEGUARDING_LEAD.value] = tokens[f"{Role.AGENCY_SAFEGUARDING_LEAD.value}:{first_agency}"]
    return dict(sorted(tokens.items()))

"""The LIF user behind an identity: found by subject, linked by email on first sign-in, or created.

Linking and just-in-time creation are written in a short transaction of their own, committed before the request
goes on: a sign-in is an event of its own (audited), kept even if the request it came with then fails.
"""

from __future__ import annotations

from contextlib import suppress

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from service.access.policy import oversight_roles_of
from service.access.principal import Principal
from service.audit.log import record
from service.db.session import unit_of_work
from service.errors import NotFound, Unauthenticated
from service.identity.directory import add_user
from service.identity.oidc.claims import Identity
from service.identity.oidc.trust import JUST_IN_TIME, TrustedIssuer
from service.models import Agency, Partnership, User
from service.outbox.subscriptions import note_subscriptions_version


def _by_subject(session: Session, trusted: TrustedIssuer, identity: Identity) -> User | None:
    return session.exec(
        select(User).where(
            User.partnership_id == trusted.partnership_id,
            User.oidc_issuer == trusted.issuer,
            User.oidc_subject == identity.subject,
        )
    ).first()


def _by_email(session: Session, trusted: TrustedIssuer, identity: Identity) -> User | None:
    if identity.email is None:
        return None
    user = session.exec(
        select(User).where(
            User.partnership_id == trusted.partnership_id, func.lower(User.email) == identity.email.lower()
        )
    ).first()
    if user is not None and user.oidc_subject is not None:
        # Already someone else's at a provider: an email claim alone must not take over an account.
        raise Unauthenticated(
            f"the LIF user {identity.email} is linked to another account at an identity provider; "
            "ask your partnership admin"
        )
    return user


def _unknown(trusted: TrustedIssuer, identity: Identity, reason: str) -> Unauthenticated:
    who = identity.email or f"subject {identity.subject}"
    return Unauthenticated(
        f"{who} signed in through {trusted.issuer}, but {reason}; ask your partnership admin to add a LIF user "
        "with this email (or to turn on just-in-time provisioning for this identity provider)"
    )


def _record_sign_in(
    session: Session, trusted: TrustedIssuer, identity: Identity, user: User, action: str, what: str
) -> None:
    record(
        session,
        partnership_id=trusted.partnership_id,
        actor=None,
        action=action,
        object_type="user",
        object_id=str(user.id),
        summary=f"User {user.name} {what} {trusted.source}",
        detail={"issuer": trusted.issuer, "subject": identity.subject},
    )


def _create(session: Session, trusted: TrustedIssuer, identity: Identity) -> User:
    if identity.email is None:
        raise _unknown(trusted, identity, f"the token has no '{trusted.email_claim}' claim to create a user with")
    if not identity.roles:
        raise _unknown(trusted, identity, f"none of the token's '{trusted.roles_claim}' values maps to a LIF role")
    try:
        user = add_user(
            session,
            partnership_id=trusted.partnership_id,
            name=identity.name or identity.email,
            email=identity.email,
            roles=sorted(identity.roles),
            agency_code=identity.agency_code,
        )
    except NotFound as exc:
        raise _unknown(trusted, identity, exc.detail) from None
    _record_sign_in(session, trusted, identity, user, "user.provisioned", "created on first sign-in through")
    return user


def _link_or_create(url: str, trusted: TrustedIssuer, identity: Identity) -> None:
    with unit_of_work(write=True, url=url) as session:
        if _by_subject(session, trusted, identity) is not None:
            return  # a concurrent first request got here first
        user = _by_email(session, trusted, identity)
        if user is None:
            if trusted.provisioning != JUST_IN_TIME:
                raise _unknown(trusted, identity, "this partnership has no LIF user with that email")
            user = _create(session, trusted, identity)
        elif not user.active:
            raise Unauthenticated("this user is deactivated")  # and stays unlinked
        else:
            _record_sign_in(session, trusted, identity, user, "user.oidc_linked", "first signed in through")
        user.oidc_issuer, user.oidc_subject = trusted.issuer, identity.subject
        session.add(user)


def find_principal(session: Session, trusted: TrustedIssuer, identity: Identity) -> Principal | None:
    """The principal of the user already linked to this identity (None on a first sign-in)."""
    row = session.exec(
        select(User, Partnership.data_protection, Partnership.subscriptions_version)
        .join(Partnership, Partnership.id == User.partnership_id)  # type: ignore[arg-type]
        .where(
            User.partnership_id == trusted.partnership_id,
            User.oidc_issuer == trusted.issuer,
            User.oidc_subject == identity.subject,
        )
    ).first()
    if row is None:
        return None
    user, policy, subscriptions_version = row
    if not user.active:
        raise Unauthenticated("this user is deactivated")
    note_subscriptions_version(session, user.partnership_id, subscriptions_version)
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    return Principal(
        user_id=user.id,
        partnership_id=user.partnership_id,
        name=user.name,
        roles=frozenset(user.roles),
        agency_code=agency.code if agency else None,
        oversight=bool(set(user.roles) & oversight_roles_of(policy)),
    )


def first_sign_in(url: str, trusted: TrustedIssuer, identity: Identity) -> Principal:
    """Link the identity to its LIF user, or create one just in time, then sign them in."""
    # IntegrityError: another request created or linked the same user at the same moment; read theirs.
    with suppress(IntegrityError):
        _link_or_create(url, trusted, identity)
    with unit_of_work(write=False, url=url) as session:
        principal = find_principal(session, trusted, identity)
    if principal is None:
        raise _unknown(trusted, identity, "the user could not be signed in")
    return principal

"""Subscription use cases: register, change, rotate, ping, replay, and read deliveries."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.config import get_settings
from service.db.types import utcnow
from service.errors import Forbidden, InvalidInput, NotFound
from service.models import Agency, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from service.models.webhook import SUBSCRIPTION_STATUSES
from service.outbox.emit import emit
from service.outbox.events import SUBSCRIBABLE, EventType
from service.outbox.subscriptions import forget_subscriptions
from service.pagination import Page, paginate_by_int
from service.webhooks import secrets
from service.webhooks.urls import check_endpoint


@dataclass
class CreatedSubscription:
    """A new subscription and its signing secret, shown this once."""

    subscription: WebhookSubscription
    secret: str


def create(
    session: Session,
    principal: Principal,
    *,
    url: str,
    event_types: list[str],
    agency: str | None,
    description: str,
) -> CreatedSubscription:
    """Register an endpoint. Agency staff and machine tokens may only subscribe for their own agency."""
    agency = _scope_for(principal, agency)
    _check_agency(session, principal, agency)
    _check_event_types(event_types)
    check_endpoint(url)
    secret = secrets.new_secret()
    subscription = WebhookSubscription(
        partnership_id=principal.partnership_id,
        agency_code=agency,
        url=url,
        event_types=sorted(set(event_types)),
        description=description,
        secret_encrypted=secrets.encrypt(secret),
        created_by_id=principal.user_id,
    )
    session.add(subscription)
    session.flush()
    _audit(
        session,
        principal,
        subscription,
        "webhook.subscribed",
        f"Webhook endpoint {url} subscribed to {', '.join(subscription.event_types)}",
    )
    return CreatedSubscription(subscription, secret)


def list_subscriptions(session: Session, principal: Principal) -> list[WebhookSubscription]:
    """The subscriptions the caller manages."""
    _scope_for(principal, None if not principal.agency_code else principal.agency_code)
    query = select(WebhookSubscription).where(WebhookSubscription.partnership_id == principal.partnership_id)
    if not principal.has_role(Role.PARTNERSHIP_ADMIN):
        query = query.where(WebhookSubscription.agency_code == principal.agency_code)
    return list(session.exec(query.order_by(col(WebhookSubscription.created_at))).all())


def get(session: Session, principal: Principal, subscription_id: uuid.UUID) -> WebhookSubscription:
    """One subscription the caller manages (404 otherwise)."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if (
        subscription is None
        or subscription.partnership_id != principal.partnership_id
        or (not principal.has_role(Role.PARTNERSHIP_ADMIN) and subscription.agency_code != principal.agency_code)
    ):
        raise NotFound(f"there is no webhook subscription {subscription_id}")
    return subscription


def update_subscription(
    session: Session,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    url: str | None,
    event_types: list[str] | None,
    description: str | None,
    status: str | None,
) -> WebhookSubscription:
    """Change the URL, events, description, or enable / disable an endpoint."""
    subscription = get(session, principal, subscription_id)
    changes: list[str] = []
    if url is not None and url != subscription.url:
        check_endpoint(url)
        subscription.url = url
        changes.append(f"url → {url}")
    if event_types is not None:
        _check_event_types(event_types)
        subscription.event_types = sorted(set(event_types))
        changes.append(f"events → {', '.join(subscription.event_types)}")
    if description is not None:
        subscription.description = description
    if status is not None and status != subscription.status:
        if status not in SUBSCRIPTION_STATUSES:
            raise InvalidInput("unknown status", [{"field": "status", "message": "use 'active' or 'disabled'"}])
        subscription.status = status
        subscription.disabled_reason = None if status == "active" else f"disabled by {principal.name}"
        subscription.failing_since = None
        changes.append(f"status → {status}")
    subscription.updated_at = utcnow()
    session.add(subscription)
    _audit(
        session,
        principal,
        subscription,
        "webhook.changed",
        f"Webhook endpoint {subscription.url} changed: {'; '.join(changes) or 'description'}",
    )
    return subscription


def delete(session: Session, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Stop all deliveries to an endpoint and retire it (kept, disabled, for the delivery history)."""
    subscription = get(session, principal, subscription_id)
    subscription.status = "disabled"
    subscription.disabled_reason = f"deleted by {principal.name}"
    session.add(subscription)
    _cancel_pending(session, subscription.id)
    _audit(session, principal, subscription, "webhook.deleted", f"Webhook endpoint {subscription.url} deleted")


def rotate_secret(session: Session, principal: Principal, subscription_id: uuid.UUID) -> CreatedSubscription:
    """Issue a new secret; the old one stays valid (deliveries carry both signatures) for the overlap."""
    subscription = get(session, principal, subscription_id)
    secret = secrets.new_secret()
    subscription.previous_secret_encrypted = subscription.secret_encrypted
    subscription.previous_secret_expires_at = utcnow() + dt.timedelta(hours=get_settings().webhook_secret_overlap_hours)
    subscription.secret_encrypted = secrets.encrypt(secret)
    session.add(subscription)
    _audit(
        session,
        principal,
        subscription,
        "webhook.secret_rotated",
        f"Signing secret of {subscription.url} rotated; the old one is valid until "
        f"{subscription.previous_secret_expires_at.isoformat()}",
    )
    return CreatedSubscription(subscription, secret)


def ping(session: Session, principal: Principal, subscription_id: uuid.UUID) -> WebhookEvent:
    """Queue a test event for this endpoint only."""
    subscription = get(session, principal, subscription_id)
    event = emit(
        session,
        partnership_id=principal.partnership_id,
        event_type=EventType.PING,
        agency_code=subscription.agency_code,
        only_subscription=subscription.id,
        data={"subscription_id": str(subscription.id), "message": "LIF Service test event"},
    )
    if event is None:
        raise InvalidInput("the endpoint is disabled", [{"field": "status", "message": "enable it first"}])
    return event


def replay(
    session: Session,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    webhook_id: str | None,
    since: dt.datetime | None,
) -> int:
    """Deliver again one event, or every event not delivered since a time. Returns how many were queued."""
    subscription = get(session, principal, subscription_id)
    if (webhook_id is None) == (since is None):
        raise InvalidInput("say what to replay", [{"field": "webhook_id", "message": "give webhook_id or since"}])
    query = (
        select(WebhookDelivery)
        .join(WebhookEvent, col(WebhookEvent.seq) == col(WebhookDelivery.event_seq))
        .where(WebhookDelivery.subscription_id == subscription.id)
    )
    if webhook_id is not None:
        query = query.where(WebhookEvent.webhook_id == webhook_id)
    else:
        assert since is not None
        query = query.where(col(WebhookEvent.created_at) >= since, WebhookDelivery.status != "delivered")
    deliveries = list(session.exec(query).all())
    if webhook_id is not None and not deliveries:
        raise NotFound(f"event {webhook_id} was never sent to this endpoint")
    now = utcnow()
    for delivery in deliveries:
        delivery.status = "pending"
        delivery.next_attempt_at = now
        delivery.lease_until = None
        delivery.attempt_count = 0
        session.add(delivery)
    _audit(
        session,
        principal,
        subscription,
        "webhook.replayed",
        f"{len(deliveries)} event(s) queued again for {subscription.url}",
    )
    return len(deliveries)


def deliveries(
    session: Session,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    webhook_id: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[tuple[WebhookDelivery, WebhookEvent, list[WebhookAttempt]]]:
    """Recent deliveries to an endpoint (newest first) with every attempt, one page."""
    subscription = get(session, principal, subscription_id)
    query = (
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, col(WebhookEvent.seq) == col(WebhookDelivery.event_seq))
        .where(WebhookDelivery.subscription_id == subscription.id)
    )
    if webhook_id:
        query = query.where(WebhookEvent.webhook_id == webhook_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    page = paginate_by_int(
        session,
        query,
        key_col=col(WebhookDelivery.event_seq),
        key_of=lambda row: int(row[0].event_seq),
        cursor=cursor,
        limit=limit,
        descending=True,
    )
    result = []
    for delivery, event in page.items:
        attempts = session.exec(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(col(WebhookAttempt.attempt_number))
        ).all()
        result.append((delivery, event, list(attempts)))
    return Page(items=result, next_cursor=page.next_cursor)


def _scope_for(principal: Principal, agency: str | None) -> str | None:
    if principal.has_role(Role.PARTNERSHIP_ADMIN):
        return agency
    if principal.agency_code:
        if agency not in (None, principal.agency_code):
            raise Forbidden(f"you can only subscribe for your own agency ({principal.agency_code})")
        return principal.agency_code
    raise Forbidden("webhooks are managed by partnership admins, or by an agency for itself")


def _check_agency(session: Session, principal: Principal, agency: str | None) -> None:
    # A subscription scoped to an unknown agency would be accepted and then never receive anything.
    if agency is None:
        return
    known = session.exec(
        select(Agency.code).where(Agency.partnership_id == principal.partnership_id).order_by(col(Agency.code))
    ).all()
    if agency not in known:
        raise InvalidInput(
            f"there is no agency '{agency}' in this partnership",
            [{"field": "agency", "message": "use one of: " + ", ".join(known) + " (or leave it out for all agencies)"}],
        )


def _check_event_types(event_types: list[str]) -> None:
    unknown = sorted(set(event_types) - SUBSCRIBABLE)
    if not event_types or unknown:
        raise InvalidInput(
            "choose at least one known event type",
            [{"field": "event_types", "message": f"unknown event type '{u}'"} for u in unknown]
            + [{"field": "event_types", "message": "known: " + ", ".join(sorted(SUBSCRIBABLE))}],
        )


def _cancel_pending(session: Session, subscription_id: uuid.UUID) -> None:
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.subscription_id) == subscription_id, col(WebhookDelivery.status) == "pending")
        .values(status="cancelled")
    )


def _audit(
    session: Session, principal: Principal, subscription: WebhookSubscription, action: str, summary: str
) -> None:
    forget_subscriptions(session)  # every change is audited through here
    record(
        session,
        partnership_id=subscription.partnership_id,
        actor=principal,
        action=action,
        object_type="webhook_subscription",
        object_id=str(subscription.id),
        summary=summary,
    )

"""Partner webhooks: subscriptions, secrets, test pings, delivery logs and replay; machine tokens."""

from __future__ import annotations

import uuid

from fastapi import Response

from api.deps import AgencyPrincipalDep, LimitDep, PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.vocabulary import DeliveryStatus
from api.schemas.webhooks import (
    AttemptRead,
    DeliveryRead,
    EventTypesRead,
    MachineTokenCreate,
    MachineTokenRead,
    Queued,
    ReplayRequest,
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionWithSecret,
)
from service.identity.machines import create_machine_token
from service.models import WebhookSubscription
from service.outbox.events import NOT_YET_EMITTED, SUBSCRIBABLE
from service.webhooks import subscriptions

router = ResourceRouter(prefix="/api/v1", tags=["webhooks"], responses=PROBLEM_RESPONSES)
BASE = "/webhooks/subscriptions"


def _read(sub: WebhookSubscription) -> SubscriptionRead:
    return SubscriptionRead.model_validate({**sub.model_dump(), "agency": sub.agency_code})


@router.get("/webhooks/event-types")
def list_event_types(principal: AgencyPrincipalDep) -> EventTypesRead:
    """Event types you can subscribe to (and those reserved for features not yet released)."""
    return EventTypesRead(event_types=sorted(SUBSCRIBABLE), not_yet_emitted=sorted(NOT_YET_EMITTED))


@router.post(BASE, status_code=201, responses=CREATED)
def create_subscription(
    body: SubscriptionCreate, session: SessionDep, principal: AgencyPrincipalDep, location: LocationDep
) -> SubscriptionWithSecret:
    """Register an endpoint; the response carries its signing secret, shown only this once."""
    created = subscriptions.create(
        session,
        principal,
        url=body.url,
        event_types=body.event_types,
        agency=body.agency,
        description=body.description,
    )
    location.at("get_subscription", subscription_id=created.subscription.id)
    return SubscriptionWithSecret(subscription=_read(created.subscription), secret=created.secret)


@router.get(BASE)
def list_subscriptions(session: SessionDep, principal: AgencyPrincipalDep) -> Page[SubscriptionRead]:
    """Subscriptions you manage (admins: all of the partnership's; agencies: their own), all in one page."""
    return Page[SubscriptionRead](
        items=[_read(sub) for sub in subscriptions.list_subscriptions(session, principal)], next_cursor=None
    )


@router.get(BASE + "/{subscription_id}")
def get_subscription(
    subscription_id: uuid.UUID, session: SessionDep, principal: AgencyPrincipalDep
) -> SubscriptionRead:
    """One subscription."""
    return _read(subscriptions.get(session, principal, subscription_id))


@router.patch(BASE + "/{subscription_id}")
def update_subscription(
    subscription_id: uuid.UUID, body: SubscriptionUpdate, session: SessionDep, principal: AgencyPrincipalDep
) -> SubscriptionRead:
    """Change URL, events or description; `status: active` re-enables a disabled endpoint."""
    return _read(
        subscriptions.update_subscription(
            session,
            principal,
            subscription_id,
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            status=body.status,
        )
    )


@router.delete(BASE + "/{subscription_id}", status_code=204)
def delete_subscription(subscription_id: uuid.UUID, session: SessionDep, principal: AgencyPrincipalDep) -> Response:
    """Stop delivering to an endpoint (its delivery history is kept)."""
    subscriptions.delete(session, principal, subscription_id)
    return Response(status_code=204)


@router.post(BASE + "/{subscription_id}/rotate-secret")
def rotate_secret(
    subscription_id: uuid.UUID, session: SessionDep, principal: AgencyPrincipalDep
) -> SubscriptionWithSecret:
    """New signing secret; the old one stays valid (both signatures are sent) for the overlap period."""
    rotated = subscriptions.rotate_secret(session, principal, subscription_id)
    return SubscriptionWithSecret(subscription=_read(rotated.subscription), secret=rotated.secret)


@router.post(BASE + "/{subscription_id}/ping", status_code=202)
def ping_subscription(subscription_id: uuid.UUID, session: SessionDep, principal: AgencyPrincipalDep) -> Queued:
    """Send a test event to this endpoint."""
    event = subscriptions.ping(session, principal, subscription_id)
    return Queued(queued=1, webhook_id=event.webhook_id)


@router.post(BASE + "/{subscription_id}/replay", status_code=202)
def replay_deliveries(
    subscription_id: uuid.UUID, body: ReplayRequest, session: SessionDep, principal: AgencyPrincipalDep
) -> Queued:
    """Deliver again one event (webhook_id), or every event not delivered since a time."""
    queued = subscriptions.replay(session, principal, subscription_id, webhook_id=body.webhook_id, since=body.since)
    return Queued(queued=queued)


@router.get(BASE + "/{subscription_id}/deliveries")
def list_deliveries(
    subscription_id: uuid.UUID,
    session: SessionDep,
    principal: AgencyPrincipalDep,
    limit: LimitDep,
    webhook_id: str | None = None,
    status: DeliveryStatus | None = None,
    cursor: str | None = None,
) -> Page[DeliveryRead]:
    """Deliveries to this endpoint, newest first, each with every attempt (status, latency, response)."""
    page = subscriptions.deliveries(
        session, principal, subscription_id, webhook_id=webhook_id, status=status, cursor=cursor, limit=limit
    )
    items = [
        DeliveryRead(
            webhook_id=event.webhook_id,
            event_type=event.event_type,
            status=delivery.status,
            attempt_count=delivery.attempt_count,
            next_attempt_at=delivery.next_attempt_at,
            delivered_at=delivery.delivered_at,
            created_at=event.created_at,
            attempts=[AttemptRead.model_validate(a, from_attributes=True) for a in attempts],
        )
        for delivery, event, attempts in page.items
    ]
    return Page[DeliveryRead](items=items, next_cursor=page.next_cursor)


@router.post("/agencies/{agency_code}/machine-tokens", status_code=201, tags=["identity"], responses=CREATED)
def issue_machine_token(
    agency_code: str, body: MachineTokenCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> MachineTokenRead:
    """Partnership admins: a token for an agency's own system (its tasks and webhooks only), shown once."""
    issued = create_machine_token(
        session, principal, agency_code=agency_code, name=body.name, expires_at=body.expires_at
    )
    # A token has no GET of its own: the agency system's token list shows it (never the secret again).
    location.at("list_tokens", query={"user_id": issued.user_id})
    return MachineTokenRead(token=issued.token, user_id=uuid.UUID(issued.user_id), agency=issued.agency)

"""Deliver webhook events: at least once, signed, in order per endpoint, with backoff.

A delivery is *claimed* in a short transaction: the worker locks the endpoint's subscription row
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers never take the same endpoint), takes only the
endpoint's oldest pending delivery (which keeps event order), and leases it for the timeout plus a margin.
The HTTP request happens outside any transaction; its outcome is recorded in another. A worker killed
mid-request leaves a lease that expires, and the delivery is retried with the same ``webhook-id``.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx
from sqlalchemy import update
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook

from service.audit.log import record
from service.config import get_settings
from service.db.session import unit_of_work
from service.db.types import utcnow
from service.errors import DomainError
from service.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from service.outbox.subscriptions import forget_subscriptions
from service.webhooks import alerts, secrets
from service.webhooks.pinned import pinned_client
from service.webhooks.urls import delivery_address

log = logging.getLogger(__name__)
LEASE_MARGIN = dt.timedelta(seconds=5)
MAX_RETRY_AFTER = dt.timedelta(hours=24)
USER_AGENT = "LIF-Service-Webhooks/1.0"


@dataclass(frozen=True)
class Claimed:
    """Everything needed to send one attempt without touching the database."""

    delivery_id: uuid.UUID
    url: str
    secrets: list[str]
    webhook_id: str
    body: str
    attempt_number: int


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt gave."""

    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str | None
    retry_after: dt.timedelta | None


def deliver_due(*, url: str | None = None, limit: int = 20) -> int:
    """One pass: claim due deliveries, send them (in parallel across endpoints), record outcomes."""
    with unit_of_work(write=True, url=url) as session:
        claimed = claim(session, limit=limit)
    if not claimed:
        return 0
    with ThreadPoolExecutor(max_workers=min(8, len(claimed))) as pool:
        outcomes = list(pool.map(send, claimed))
    for item, outcome in zip(claimed, outcomes, strict=True):
        try:
            with unit_of_work(write=True, url=url) as session:
                record_outcome(session, item, outcome)
        except DomainError:
            log.exception("recording the outcome of delivery %s failed; its lease will expire", item.delivery_id)
    return len(claimed)


def claim(session: Session, *, limit: int) -> list[Claimed]:
    """Lease the oldest pending delivery of each endpoint that has one due."""
    now = utcnow()
    due = (
        select(WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status == "pending", col(WebhookDelivery.next_attempt_at) <= now)
        .distinct()
    )
    subscriptions = session.exec(
        select(WebhookSubscription)
        .where(WebhookSubscription.status == "active", col(WebhookSubscription.id).in_(due))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    lease = now + dt.timedelta(seconds=get_settings().webhook_timeout_seconds) + LEASE_MARGIN
    claimed: list[Claimed] = []
    for subscription in subscriptions:
        head = session.exec(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.status == "pending")
            .order_by(col(WebhookDelivery.event_seq))
            .limit(1)
        ).first()
        if head is None or head.next_attempt_at > now or (head.lease_until and head.lease_until > now):
            continue  # the oldest is waiting (backoff or in flight): later events wait behind it, in order
        event = session.exec(select(WebhookEvent).where(WebhookEvent.seq == head.event_seq)).one()
        head.lease_until = lease
        head.attempt_count += 1
        session.add(head)
        claimed.append(
            Claimed(
                head.id,
                subscription.url,
                _signing_secrets(subscription, now),
                event.webhook_id,
                event.body,
                head.attempt_count,
            )
        )
    return claimed


def send(item: Claimed) -> Outcome:
    """POST one signed attempt; never raises."""
    settings = get_settings()
    started = time.monotonic()
    try:
        address = delivery_address(item.url)  # again at send time: DNS may have changed since registration
    except DomainError as exc:
        return Outcome(None, 0, "", f"refused: {exc.extra.get('errors', [{}])[0].get('message', exc.detail)}", None)
    timestamp = dt.datetime.now(dt.UTC)
    signatures = " ".join(Webhook(secret).sign(item.webhook_id, timestamp, item.body) for secret in item.secrets)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": item.webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }
    try:
        with (
            pinned_client(address, timeout=settings.webhook_timeout_seconds) as client,
            client.stream("POST", item.url, content=item.body.encode(), headers=headers) as response,
        ):
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) >= settings.webhook_max_response_bytes:
                    break
            latency = int((time.monotonic() - started) * 1000)
            return Outcome(
                response.status_code,
                latency,
                body[:1000].decode("utf-8", "replace"),
                None,
                _retry_after(response.headers.get("retry-after")),
            )
    except httpx.HTTPError as exc:
        latency = int((time.monotonic() - started) * 1000)
        return Outcome(None, latency, "", f"{type(exc).__name__}: {exc}"[:500], None)


def record_outcome(session: Session, item: Claimed, outcome: Outcome) -> None:
    """Store the attempt and decide what happens next: done, retry later, give up, or disable the endpoint."""
    settings = get_settings()
    now = utcnow()
    delivery = session.exec(
        select(WebhookDelivery).where(WebhookDelivery.id == item.delivery_id).with_for_update()
    ).one()
    subscription = session.exec(
        select(WebhookSubscription).where(WebhookSubscription.id == delivery.subscription_id).with_for_update()
    ).one()
    session.add(
        WebhookAttempt(
            partnership_id=delivery.partnership_id,
            delivery_id=delivery.id,
            attempt_number=item.attempt_number,
            attempted_at=now,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
    )
    delivery.lease_until = None
    if delivery.status != "pending":
        session.add(delivery)  # replayed or cancelled meanwhile; the attempt is logged, nothing else changes
        return
    status = outcome.status_code
    if status is not None and 200 <= status < 300:
        delivery.status = "delivered"
        delivery.delivered_at = now
        subscription.failing_since = None
    elif status == 410:
        _disable(session, subscription, "the endpoint answered 410 Gone (unsubscribed)")
        delivery.status = "cancelled"
    else:
        subscription.failing_since = subscription.failing_since or now
        schedule = settings.webhook_retry_schedule
        if delivery.attempt_count >= len(schedule):
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + _backoff(schedule[delivery.attempt_count], outcome.retry_after)
        failing_for = (now - subscription.failing_since).total_seconds()
        if failing_for >= settings.webhook_disable_after_seconds:
            _disable(session, subscription, f"failing for {failing_for / 3600:.1f} hours without a success")
    session.add(delivery)
    session.add(subscription)


def _signing_secrets(subscription: WebhookSubscription, now: dt.datetime) -> list[str]:
    found = [secrets.decrypt(subscription.secret_encrypted)]
    if (
        subscription.previous_secret_encrypted
        and subscription.previous_secret_expires_at
        and subscription.previous_secret_expires_at > now
    ):
        found.append(secrets.decrypt(subscription.previous_secret_encrypted))
    return found


def _backoff(seconds: float, retry_after: dt.timedelta | None) -> dt.timedelta:
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    return dt.timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def _retry_after(value: str | None) -> dt.timedelta | None:
    if not value:
        return None
    if value.strip().isdigit():
        return dt.timedelta(seconds=int(value.strip()))
    try:
        return max(parsedate_to_datetime(value) - dt.datetime.now(dt.UTC), dt.timedelta(0))
    except (TypeError, ValueError):
        return None


def _disable(session: Session, subscription: WebhookSubscription, reason: str) -> None:
    forget_subscriptions(session)
    subscription.status = "disabled"
    subscription.disabled_reason = reason
    subscription.updated_at = utcnow()
    session.add(subscription)
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.subscription_id) == subscription.id, col(WebhookDelivery.lease_until).is_not(None))
        .values(lease_until=None)
    )
    record(
        session,
        partnership_id=subscription.partnership_id,
        actor=None,
        action="webhook.disabled",
        object_type="webhook_subscription",
        object_id=str(subscription.id),
        summary=f"Webhook endpoint {subscription.url} disabled: {reason}",
    )
    alerts.endpoint_disabled(session, subscription, reason)

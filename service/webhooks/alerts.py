"""Tell the partnership admin when an endpoint is disabled: a task, through the `endpoint_review` process."""

from __future__ import annotations

from sqlmodel import Session

from service.cases.service import open_system_case
from service.models import WebhookSubscription

REVIEW_PROCESS = "endpoint_review"


def endpoint_disabled(session: Session, subscription: WebhookSubscription, reason: str) -> None:
    """Open an endpoint review case; its task lands in the partnership admin's queue."""
    open_system_case(
        session,
        partnership_id=subscription.partnership_id,
        case_type=REVIEW_PROCESS,
        title=f"Webhook endpoint disabled{f' ({subscription.agency_code})' if subscription.agency_code else ''}",
        data={"subscription_id": str(subscription.id), "endpoint_url": subscription.url, "reason": reason},
    )

"""JSON routes for webhook subscriptions (district administrators)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from yiyang.kit.types import RowId
from yiyang.ports import subscriptions
from yiyang.ports.schemas import WebhookCreate, WebhookCreated, WebhookRead, WebhookUpdate
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(tags=["webhooks"], dependencies=[Depends(get_locale)])


@router.get("/webhooks", response_model=list[WebhookRead])
def list_webhooks(db: DbSession, subject: ApiSubject) -> list[WebhookRead]:
    """Every webhook subscription (without secrets)."""
    return [WebhookRead.model_validate(s) for s in subscriptions.listing(db, subject)]


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
def create_webhook(
    request: Request, db: DbSession, subject: ApiSubject, body: WebhookCreate
) -> WebhookCreated:
    """Subscribe a URL to event types; the answer holds the signing secret, shown only now."""
    sub = subscriptions.create(
        db, subject, body, now=request.app.state.clock(),
        allowed_networks=request.app.state.settings.webhook_allowed_networks,
    )  # fmt: skip
    return WebhookCreated.model_validate(sub)


@router.get("/webhooks/{sub_id}", response_model=WebhookRead)
def get_webhook(db: DbSession, subject: ApiSubject, sub_id: RowId) -> WebhookRead:
    """One subscription."""
    return WebhookRead.model_validate(subscriptions.get(db, subject, sub_id))


@router.patch("/webhooks/{sub_id}", response_model=WebhookRead)
def update_webhook(
    request: Request, db: DbSession, subject: ApiSubject, sub_id: RowId, body: WebhookUpdate
) -> WebhookRead:
    """Change the URL or event types, or switch the subscription off and on."""
    sub = subscriptions.update(
        db, subject, sub_id, body, now=request.app.state.clock(),
        allowed_networks=request.app.state.settings.webhook_allowed_networks,
    )  # fmt: skip
    return WebhookRead.model_validate(sub)


@router.delete("/webhooks/{sub_id}", status_code=204)
def delete_webhook(request: Request, db: DbSession, subject: ApiSubject, sub_id: RowId) -> Response:
    """Remove a subscription."""
    subscriptions.delete(db, subject, sub_id, now=request.app.state.clock())
    return Response(status_code=204)

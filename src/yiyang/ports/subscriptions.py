"""Webhook subscriptions: district administrators add, change and remove them (audited)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.errors import N_, FieldProblem, Forbidden, Invalid, NotFound
from yiyang.events.types import EVENT_TYPES
from yiyang.ports.destinations import Networks, literal_problem
from yiyang.ports.models import WebhookSubscription
from yiyang.ports.schemas import WebhookCreate, WebhookUpdate
from yiyang.ports.webhook import new_secret
from yiyang.security.audit import service as audit
from yiyang.security.roles import Role
from yiyang.security.subject import Subject


def require_admin(subject: Subject) -> None:
    """Only district administrators manage what leaves the platform."""
    if subject.role != Role.DISTRICT_ADMIN:
        raise Forbidden(N_("Only a district administrator may do this."), code="admin_only")


def _check_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise Invalid(
            N_("Unknown event types: %(types)s."),
            problems=[
                FieldProblem(
                    "event_types",
                    "unknown_event_type",
                    N_("Unknown event types: %(types)s."),
                    {"types": ", ".join(unknown)},
                )
            ],
            types=", ".join(unknown),
        )
    return sorted(set(types))


def _check_url(url: str, allowed: Networks) -> str:
    """The URL, unless its written host is loopback or private and no setting allows it."""
    if literal_problem(url, allowed) is not None:
        message = N_(
            "Webhooks go to public addresses only; this address is inside a private network"
            " (an administrator can allow one with YIYANG_WEBHOOK_ALLOWED_NETWORKS)."
        )
        raise Invalid(message, problems=[FieldProblem("url", "private_address", message, {})])
    return url


def _snapshot(sub: WebhookSubscription) -> dict[str, object]:
    return {"url": sub.url, "event_types": sub.event_types, "active": sub.active}


def listing(session: Session, subject: Subject) -> list[WebhookSubscription]:
    """Every subscription, oldest first."""
    require_admin(subject)
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def get(session: Session, subject: Subject, sub_id: int) -> WebhookSubscription:
    """One subscription, or 404."""
    require_admin(subject)
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None:
        raise NotFound(N_("Webhook subscription %(id)s not found."), id=sub_id)
    return sub


def create(
    session: Session, subject: Subject, data: WebhookCreate, *, now: datetime,
    allowed_networks: Networks = (),
) -> WebhookSubscription:  # fmt: skip
    """Add a subscription with a fresh signing secret."""
    require_admin(subject)
    sub = WebhookSubscription(
        url=_check_url(str(data.url), allowed_networks),
        secret=new_secret(),
        event_types=_check_types(data.event_types),
        description=(data.description or "").strip() or None,
        active=True,
        created_by_id=subject.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(sub)
    session.flush()
    audit.record(session, subject, "create", "webhook", sub.id, after=_snapshot(sub), at=now)
    return sub


def update(
    session: Session, subject: Subject, sub_id: int, data: WebhookUpdate, *, now: datetime,
    allowed_networks: Networks = (),
) -> WebhookSubscription:  # fmt: skip
    """Change the URL, event types, description or switch it on or off."""
    sub = get(session, subject, sub_id)
    before = _snapshot(sub)
    if data.url is not None:
        sub.url = _check_url(str(data.url), allowed_networks)
    if data.event_types is not None:
        sub.event_types = _check_types(data.event_types)
    if data.description is not None:
        sub.description = data.description.strip() or None
    if data.active is not None:
        sub.active = data.active
    sub.updated_at = now
    old, new = audit.changed_fields(before, _snapshot(sub))
    audit.record(session, subject, "update", "webhook", sub.id, before=old, after=new, at=now)
    return sub


def delete(session: Session, subject: Subject, sub_id: int, *, now: datetime) -> None:
    """Remove a subscription; its undelivered messages go to the dead letter when tried."""
    sub = get(session, subject, sub_id)
    audit.record(session, subject, "delete", "webhook", sub.id, before=_snapshot(sub), at=now)
    session.delete(sub)


def subscribed_to(session: Session, event_type: str) -> list[int]:
    """Ids of the active subscriptions that receive an event type."""
    rows = session.execute(
        select(WebhookSubscription.id, WebhookSubscription.event_types).where(
            WebhookSubscription.active.is_(True)
        )
    ).all()
    return [sub_id for sub_id, types in rows if event_type in types]

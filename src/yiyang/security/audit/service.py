"""Record audit events in the caller's transaction, and list them for auditors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiyang.kit.clock import utcnow
from yiyang.kit.pagination import PageParams
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


def _plain(value: Any) -> Any:
    """Make a value JSON-safe for the before/after snapshots."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record(
    session: Session,
    subject: Subject,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one audit row; it commits or rolls back with the action it describes."""
    event = AuditEvent(
        at=at or utcnow(),
        actor_id=subject.user_id,
        actor_name=subject.username,
        actor_role=str(subject.role),
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip=subject.ip,
        detail=detail,
    )
    session.add(event)
    return event


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the fields that differ, so the audit row shows the change itself."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def list_events(
    session: Session,
    subject: Subject,
    page: PageParams,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
) -> tuple[list[AuditEvent], int]:
    """Audit rows newest first, for auditors and district administrators."""
    subject.require(Perm.AUDIT_READ)
    stmt = select(AuditEvent)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AuditEvent.id.desc()).offset(page.offset).limit(page.size)
    ).all()
    return list(rows), total

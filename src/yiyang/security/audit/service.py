"""Record audit events (in the caller's transaction, or in their own), and read them, audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from yiyang.kit.clock import utcnow
from yiyang.kit.pagination import PageParams
from yiyang.security.audit import repository
from yiyang.security.audit.models import AuditEvent
from yiyang.security.audit.schemas import AuditFilter
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

READ = "read_audit"
EXPORT = "export"
ENTITY = "audit_event"


def _plain(value: Any) -> Any:
    """Make a value JSON-safe for the before/after snapshots."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# The role recorded for someone who is not signed in (a sign-in under a name with no account).
ANONYMOUS = "anonymous"


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
    actor_role: str | None = None,
) -> AuditEvent:
    """Append one audit row; it commits or rolls back with the action it describes.

    `actor_role` replaces the subject's role in the row, for ANONYMOUS.
    """
    event = AuditEvent(
        at=at or utcnow(),
        actor_id=subject.user_id,
        actor_name=subject.username[:64],
        actor_role=actor_role or str(subject.role),
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip=subject.ip,
        detail=detail[:512] if detail is not None else None,
    )
    session.add(event)
    return event


def record_detached(
    factory: sessionmaker[Session],
    subject: Subject,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    detail: str | None = None,
    after: dict[str, Any] | None = None,
    at: datetime,
) -> None:
    """Write one audit row in its own short transaction: it stays even if the request rolls back.

    For events that must survive the failure they describe (refusals, failed logins). On
    SQLite call it when the request's own session holds no write transaction (after its
    rollback, as the error handler does): SQLite has one writer at a time.
    """
    with factory() as session, session.begin():
        record(session, subject, action, entity, entity_id, detail=detail, after=after, at=at)


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the fields that differ, so the audit row shows the change itself."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _query(flt: AuditFilter) -> dict[str, Any]:
    return flt.model_dump(mode="json", exclude_none=True)


def read_page(
    session: Session, subject: Subject, flt: AuditFilter, page: PageParams, *, now: datetime
) -> tuple[list[repository.EventRow], int]:
    """One page of the trail for an auditor or district admin; the reading is itself audited."""
    subject.require(Perm.AUDIT_READ)
    rows, total = repository.search(session, subject, flt, page)
    record(
        session, subject, READ, ENTITY, None,
        after={"filter": _query(flt), "page": page.page, "total": total}, at=now,
    )  # fmt: skip
    return rows, total


def export_rows(
    session: Session, subject: Subject, flt: AuditFilter, kind: str, *, now: datetime
) -> Iterator[repository.EventRow]:
    """Every matching row for an export file; the export is audited with its filter and size."""
    subject.require(Perm.AUDIT_READ)
    total = repository.count(session, subject, flt)
    record(
        session, subject, EXPORT, ENTITY, None,
        after={"filter": _query(flt), "count": total, "format": kind}, at=now,
    )  # fmt: skip
    return repository.iterate(session, subject, flt)

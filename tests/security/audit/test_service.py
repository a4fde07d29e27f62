"""The audit service: recording, reading with permission, and reading that is itself audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_tree, make_user
from tests.conftest import FakeClock
from tests.security.audit.builders import add_events
from yiyang.errors import Forbidden
from yiyang.kit.pagination import PageParams
from yiyang.security.audit import repository
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.audit.schemas import AuditFilter
from yiyang.security.roles import Role


def test_a_recorded_row_waits_unsealed_and_keeps_long_details_short(
    db: Session, clock: FakeClock
) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    event = audit.record(db, admin, "export", "elder", None, detail="x" * 900, at=clock.now)
    db.flush()
    assert event.seq is None and event.row_hash is None
    assert event.detail is not None and len(event.detail) == 512


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.STREET_ADMIN, Role.CAREGIVER, Role.FAMILY])
def test_only_audit_readers_may_read(db: Session, clock: FakeClock, role: Role) -> None:
    tree = make_tree(db)
    _, subject = make_user(db, role, area=tree.street_a if role is Role.STREET_ADMIN else None)
    with pytest.raises(Forbidden):
        audit.read_page(db, subject, AuditFilter(), PageParams(), now=clock.now)
    with pytest.raises(Forbidden):
        audit.export_rows(db, subject, AuditFilter(), "csv", now=clock.now)
    assert repository.search(db, subject, AuditFilter(), PageParams()) == ([], 0)


def test_reading_is_recorded_after_the_page_is_read(db: Session, clock: FakeClock) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    _, auditor = make_user(db, Role.AUDITOR)
    add_events(db, admin, 3, clock.now - timedelta(hours=1))
    flt = AuditFilter(person=admin.username)
    rows, total = audit.read_page(db, auditor, flt, PageParams(size=2), now=clock.now)
    assert total == 3 and len(rows) == 2
    assert [name for _, name in rows] == ["district_admin user"] * 2
    assert rows[0][0].at > rows[1][0].at  # newest first
    read = db.scalar(select(AuditEvent).where(AuditEvent.action == audit.READ))
    assert read is not None and read.actor_name == auditor.username
    assert read.after == {"filter": {"person": admin.username}, "page": 1, "total": 3}


def test_an_export_is_recorded_with_its_size(db: Session, clock: FakeClock) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    add_events(db, admin, 3, clock.now - timedelta(hours=1))
    flt = AuditFilter(action="update", person=admin.username)
    exported = list(audit.export_rows(db, admin, flt, "xlsx", now=clock.now))
    assert len(exported) == 3
    row = db.scalar(select(AuditEvent).where(AuditEvent.action == audit.EXPORT))
    assert row is not None and row.after is not None
    assert (row.entity, row.after["count"], row.after["format"]) == ("audit_event", 3, "xlsx")

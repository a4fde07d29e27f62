"""The database refuses to change or delete audit rows, except the sealer's and archiver's steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.security.audit.builders import add_events, seal_all, sealed_rows
from yiyang.security.audit import repository
from yiyang.security.audit.models import AuditArchive, AuditEvent
from yiyang.security.roles import Role


@pytest.fixture
def events(db: Session, clock: FakeClock) -> Iterator[list[AuditEvent]]:
    """Three sealed rows and one unsealed row."""
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    sealed = add_events(db, admin, 3, clock.now)
    seal_all(db, clock.now + timedelta(seconds=10))
    unsealed = add_events(db, admin, 1, clock.now + timedelta(hours=1))
    yield sealed + unsealed


def refused(db: Session, sql: str, **params: object) -> str:
    """Run a statement that must be refused; returns the database's message."""
    with pytest.raises(DBAPIError) as caught, db.begin_nested():
        db.execute(text(sql), params)
    message = str(caught.value.orig)
    assert "append-only" in message or "unsealed" in message, message
    return message


def is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def test_sealed_rows_cannot_be_changed(db: Session, events: list[AuditEvent]) -> None:
    refused(db, "UPDATE audit_event SET detail = 'x' WHERE id = :id", id=events[0].id)
    refused(db, "UPDATE audit_event SET row_hash = :h WHERE id = :id", h="0" * 64, id=events[0].id)
    refused(db, "UPDATE audit_event SET seq = NULL, prev_hash = NULL, row_hash = NULL "
                "WHERE id = :id", id=events[1].id)  # fmt: skip


def test_unsealed_rows_cannot_be_changed_either(db: Session, events: list[AuditEvent]) -> None:
    refused(db, "UPDATE audit_event SET detail = 'x' WHERE id = :id", id=events[3].id)
    repository.allow(db, repository.SEAL_SETTING)
    refused(
        db, "UPDATE audit_event SET detail = 'x', seq = 999999, row_hash = :h WHERE id = :id",
        h="1" * 64, id=events[3].id,
    )  # fmt: skip


def test_no_row_can_be_deleted(db: Session, events: list[AuditEvent]) -> None:
    refused(db, "DELETE FROM audit_event WHERE id = :id", id=events[0].id)
    refused(db, "DELETE FROM audit_event WHERE id = :id", id=events[3].id)
    repository.allow(db, repository.ARCHIVE_SETTING)
    refused(db, "DELETE FROM audit_event WHERE id = :id", id=events[0].id)  # no manifest covers it


def test_rows_cannot_be_inserted_already_sealed(db: Session, events: list[AuditEvent]) -> None:
    refused(
        db, "INSERT INTO audit_event (at, actor_name, actor_role, action, entity, seq, "
            "prev_hash, row_hash) VALUES (:at, 'x', 'auditor', 'login', 'user', 999999, :h, :h)",
        at=events[0].at.replace(tzinfo=None), h="2" * 64,
    )  # fmt: skip


def test_the_sealer_may_fill_the_chain_columns_only(
    db: Session, events: list[AuditEvent], clock: FakeClock
) -> None:
    if is_postgres(db):  # without the transaction-local setting even the sealer's fill is refused
        db.execute(text("SELECT set_config(:name, 'off', true)"), {"name": repository.SEAL_SETTING})
        refused(
            db, "UPDATE audit_event SET seq = 999999, prev_hash = :h, row_hash = :h "
                "WHERE id = :id", h="3" * 64, id=events[3].id,
        )  # fmt: skip
    assert seal_all(db, clock.now + timedelta(hours=2)) == 1
    assert sealed_rows(db)[-1].id == events[3].id


def test_archived_rows_may_be_deleted_by_the_archive_job(
    db: Session, events: list[AuditEvent], clock: FakeClock
) -> None:
    first, last = events[0], events[1]
    assert first.seq is not None and last.seq is not None
    db.add(AuditArchive(
        file_name="audit-test.jsonl.gz", first_seq=first.seq, last_seq=last.seq, rows=2,
        prev_hash=first.prev_hash, last_hash=last.row_hash, sha256="4" * 64, first_at=first.at,
        last_at=last.at, archived_at=clock.now,
    ))  # fmt: skip
    db.flush()
    if is_postgres(db):  # the manifest alone is not enough there: the archive job's setting is
        refused(db, "DELETE FROM audit_event WHERE id = :id", id=first.id)
    assert repository.delete_through(db, last.seq) == 2
    refused(db, "DELETE FROM audit_event WHERE id = :id", id=events[2].id)


def test_archive_manifests_cannot_be_changed(
    db: Session, events: list[AuditEvent], clock: FakeClock
) -> None:
    row = events[0]
    db.add(AuditArchive(
        file_name="audit-test.jsonl.gz", first_seq=row.seq, last_seq=row.seq, rows=1,
        prev_hash=row.prev_hash, last_hash=row.row_hash, sha256="5" * 64, first_at=row.at,
        last_at=row.at, archived_at=clock.now,
    ))  # fmt: skip
    db.flush()
    refused(db, "UPDATE audit_archive SET rows = 7")
    refused(db, "DELETE FROM audit_archive")


def test_truncate_is_refused_on_postgresql(db: Session, events: list[AuditEvent]) -> None:
    if not is_postgres(db):
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is refused row by row)")
    refused(db, "TRUNCATE audit_event")
    refused(db, "TRUNCATE audit_archive")

"""Sealing and verifying on the real database: a linear chain, and tampering found by row."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.security.audit.builders import add_events, seal_all, sealed_rows
from yiyang.security.audit import chain, sealer
from yiyang.security.audit.verify import parse_anchor, verify
from yiyang.security.roles import Role


def test_rows_are_sealed_in_time_order_after_the_grace_period(
    db: Session, clock: FakeClock, tmp_path: Path
) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    late = add_events(db, admin, 1, clock.now + timedelta(seconds=30))[0]
    early = add_events(db, admin, 3, clock.now)
    assert sealer.seal(db, clock.now + timedelta(seconds=3)) == 0  # none past the grace yet
    assert sealer.seal(db, clock.now + timedelta(seconds=10)) == 3
    db.expire_all()
    assert [e.seq is not None for e in early] == [True, True, True]
    assert late.seq is None
    assert early[0].seq is not None
    assert [e.seq for e in early] == [early[0].seq, early[0].seq + 1, early[0].seq + 2]
    assert sealer.seal(db, clock.now + timedelta(seconds=40)) == 1
    db.expire_all()
    assert late.seq == early[2].seq + 1 and late.prev_hash == early[2].row_hash  # type: ignore[operator]
    report = verify(db, tmp_path)
    assert report.broken is None
    assert report.unsealed == 0
    assert report.head == chain.Link(late.seq, late.row_hash)  # type: ignore[arg-type]


def test_each_row_links_to_the_one_before(db: Session, clock: FakeClock) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    add_events(db, admin, 4, clock.now)
    seal_all(db, clock.now + timedelta(seconds=10))
    rows = sealed_rows(db)
    for before, after in pairwise(rows):
        assert after.prev_hash == before.row_hash
        assert after.row_hash == chain.row_hash(chain.record_of(after), after.seq, before.row_hash)  # type: ignore[arg-type]


def _tamper(db: Session, sql: str, **params: object) -> None:
    """Change the table behind the triggers' back, as an owner or a superuser could."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        db.execute(text(sql), params)
        db.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
    else:
        db.execute(text("DROP TRIGGER audit_event_no_update"))  # undone with the test's rollback
        db.execute(text("DROP TRIGGER audit_event_no_delete"))
        db.execute(text(sql), params)
    db.expire_all()


def test_verify_names_a_row_changed_in_sql(db: Session, clock: FakeClock, tmp_path: Path) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    events = add_events(db, admin, 5, clock.now)
    seal_all(db, clock.now + timedelta(seconds=10))
    assert verify(db, tmp_path).broken is None
    target = events[2]
    _tamper(db, "UPDATE audit_event SET detail = 'nothing happened' WHERE id = :id", id=target.id)
    broken = verify(db, tmp_path).broken
    assert broken is not None
    assert (broken.reason, broken.row_id, broken.seq, broken.where) == (
        "content",
        target.id,
        target.seq,
        "table",
    )


def test_verify_finds_a_row_deleted_in_sql(db: Session, clock: FakeClock, tmp_path: Path) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    events = add_events(db, admin, 5, clock.now)
    seal_all(db, clock.now + timedelta(seconds=10))
    gone_id, gone_seq, next_id = events[1].id, events[1].seq, events[2].id
    _tamper(db, "DELETE FROM audit_event WHERE id = :id", id=gone_id)
    broken = verify(db, tmp_path).broken
    assert broken is not None
    assert (broken.reason, broken.expected, broken.row_id) == ("gap", str(gone_seq), next_id)


def test_verify_finds_a_rewritten_tail_against_an_anchor(
    db: Session, clock: FakeClock, tmp_path: Path
) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    events = add_events(db, admin, 3, clock.now)
    seal_all(db, clock.now + timedelta(seconds=10))
    last = sealed_rows(db)[-1]
    anchor = parse_anchor(f"{last.seq}:{last.row_hash}")
    forged = chain.record_of(last) | {"detail": "forged"}
    forged_hash = chain.row_hash(forged, last.seq, last.prev_hash)  # type: ignore[arg-type]
    _tamper(
        db, "UPDATE audit_event SET detail = 'forged', row_hash = :h WHERE id = :id",
        h=forged_hash, id=events[-1].id,
    )  # fmt: skip
    assert verify(db, tmp_path).broken is None  # a consistent rewrite of the newest row…
    broken = verify(db, tmp_path, anchors=dict([anchor])).broken
    assert broken is not None and (broken.reason, broken.seq) == ("anchor", last.seq)  # …is not

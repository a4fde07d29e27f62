"""Retention: old sealed rows move to day files, the chain goes on across them, nothing is lost."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.security.audit.builders import add_events, seal_all, sealed_rows
from yiyang.config import Settings
from yiyang.console import audit_tasks as tasks
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.security.audit import archive, repository
from yiyang.security.audit.models import AuditArchive, AuditEvent
from yiyang.security.audit.verify import verify
from yiyang.security.roles import Role


@pytest.fixture
def history(db: Session, clock: FakeClock) -> list[AuditEvent]:
    """Rows over two local days 200 days ago, two 190 days ago, and three from last week."""
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    old = add_events(db, admin, 3, clock.now - timedelta(days=200), step=timedelta(hours=10))
    older = add_events(db, admin, 2, clock.now - timedelta(days=190))
    recent = add_events(db, admin, 3, clock.now - timedelta(days=7))
    seal_all(db, clock.now)
    return old + older + recent


def table_rows(db: Session) -> int:
    return db.scalar(select(func.count(AuditEvent.id))) or 0


def run(db: Session, clock: FakeClock, folder: Path, **kwargs: int) -> archive.ArchiveRun:
    result = archive.archive_due(db, clock.now, online_days=180, archive_dir=folder, **kwargs)
    db.expire_all()
    return result


def test_old_rows_go_to_one_file_per_day_and_the_chain_still_verifies(
    db: Session, clock: FakeClock, history: list[AuditEvent], tmp_path: Path
) -> None:
    before, first_seq = table_rows(db), history[0].seq
    head = sealed_rows(db)[-1].seq
    result = run(db, clock, tmp_path)
    assert result.rows == 5 and not result.more
    assert len(result.files) == 3  # 200 days ago spans two local days, then 190 days ago
    assert table_rows(db) == before - 5
    manifests = repository.archives(db)
    assert [m.rows for m in manifests] == [2, 1, 2]
    assert manifests[0].first_seq == first_seq
    assert all((tmp_path / m.file_name).is_file() for m in manifests)
    report = verify(db, tmp_path)
    assert report.broken is None
    assert (report.archives, report.archived_rows) == (3, 5)
    assert report.head.seq == head
    assert run(db, clock, tmp_path).rows == 0  # nothing more is due


def test_sealing_continues_the_chain_after_everything_is_archived(
    db: Session, clock: FakeClock, history: list[AuditEvent], tmp_path: Path
) -> None:
    clock.advance(days=400)
    run(db, clock, tmp_path)
    assert sealed_rows(db) == []
    _, auditor = make_user(db, Role.AUDITOR)
    add_events(db, auditor, 2, clock.now)
    seal_all(db, clock.now + timedelta(seconds=10))
    first_new = sealed_rows(db)[0]
    last_archived = repository.last_archive(db)
    assert last_archived is not None
    assert (first_new.seq, first_new.prev_hash) == (
        last_archived.last_seq + 1,
        last_archived.last_hash,
    )
    assert verify(db, tmp_path).broken is None


def test_a_changed_archive_line_is_named(
    db: Session, clock: FakeClock, history: list[AuditEvent], tmp_path: Path
) -> None:
    run(db, clock, tmp_path)
    manifest = repository.archives(db)[1]
    path = tmp_path / manifest.file_name
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    row = json.loads(lines[1])
    row["actor_name"] = "somebody else"
    lines[1] = json.dumps(row, ensure_ascii=False)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    broken = verify(db, tmp_path).broken
    assert broken is not None
    assert (broken.reason, broken.where, broken.seq) == ("content", manifest.file_name, row["seq"])


def test_a_missing_archive_file_breaks_the_chain(
    db: Session, clock: FakeClock, history: list[AuditEvent], tmp_path: Path
) -> None:
    run(db, clock, tmp_path)
    manifest = repository.archives(db)[0]
    (tmp_path / manifest.file_name).unlink()
    broken = verify(db, tmp_path).broken
    assert broken is not None and (broken.reason, broken.where) == (
        "archive_missing",
        manifest.file_name,
    )


def test_when_the_file_cannot_be_written_no_row_is_deleted(
    db: Session, clock: FakeClock, history: list[AuditEvent], tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the archive folder should be")
    before = table_rows(db)
    with pytest.raises(OSError):
        run(db, clock, blocked)
    assert table_rows(db) == before
    assert db.scalar(select(func.count(AuditArchive.id))) == 0


def test_a_large_backlog_is_archived_in_runs(
    db: Session, clock: FakeClock, history: list[AuditEvent], tmp_path: Path
) -> None:
    first = run(db, clock, tmp_path, max_rows=2)
    assert (first.rows, first.more) == (2, True)
    second = run(db, clock, tmp_path, max_rows=2)
    third = run(db, clock, tmp_path, max_rows=2)
    assert (second.rows, third.rows, third.more) == (2, 1, False)
    assert verify(db, tmp_path).broken is None


def test_files_are_the_same_bytes_when_written_again(
    db: Session, clock: FakeClock, history: list[AuditEvent], tmp_path: Path
) -> None:
    run(db, clock, tmp_path)
    manifest = repository.archives(db)[0]
    rows = list(archive.read_lines(tmp_path / manifest.file_name))
    assert [r["seq"] for r in rows] == [manifest.first_seq, manifest.last_seq]
    assert archive.file_sha256(tmp_path / manifest.file_name) == manifest.sha256


def test_the_timer_comes_back_tomorrow_at_half_past_three(db: Session, clock: FakeClock) -> None:
    tasks.ensure_timer(db, clock.now)
    tasks.ensure_timer(db, clock.now)
    pending = timers.pending(db, tasks.ARCHIVE)
    assert len(pending) == 1
    assert pending[0].due_at == tasks.next_archive(clock.now)
    assert pending[0].due_at.isoformat() == "2026-11-23T19:30:00+00:00"  # 03:30 in Zhengzhou


def test_the_timer_archives_then_comes_back_soon_or_tomorrow(
    db: Session,
    clock: FakeClock,
    history: list[AuditEvent],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(audit_online_days=180, audit_archive_dir=tmp_path)
    monkeypatch.setattr(archive, "MAX_ROWS", 4)
    ctx = TimerContext(db, clock.now, settings)
    fired = timers.schedule(db, tasks.ARCHIVE, 0, clock.now)
    tasks.archive_timer(ctx, fired)
    fired.fired_at = clock.now
    assert [t.due_at for t in timers.pending(db, tasks.ARCHIVE)] == [clock.now + tasks.AGAIN_SOON]
    again = timers.pending(db, tasks.ARCHIVE)[0]
    tasks.archive_timer(ctx, again)
    again.fired_at = clock.now
    assert [t.due_at for t in timers.pending(db, tasks.ARCHIVE)] == [tasks.next_archive(clock.now)]
    assert [m.rows for m in repository.archives(db)] == [2, 1, 1, 1]  # the 4-row run split a day
    assert verify(db, tmp_path).broken is None

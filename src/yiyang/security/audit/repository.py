"""Every query on the audit tables: what readers see, and what the sealer and archiver touch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, Select, delete, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.pagination import PageParams
from yiyang.security.audit import chain
from yiyang.security.audit.chain import START, Link
from yiyang.security.audit.models import AuditArchive, AuditEvent
from yiyang.security.audit.schemas import AuditFilter
from yiyang.security.models import UserAccount
from yiyang.security.subject import Subject

# Transaction-local settings the PostgreSQL trigger checks (migration 0009): only the sealer
# may fill the chain columns of unsealed rows, only the archive job may delete archived rows.
SEAL_SETTING = "yiyang.audit_seal"
ARCHIVE_SETTING = "yiyang.audit_archive"
SEALER_LOCK = 0x79_69_61_75_64  # pg_try_advisory_xact_lock key: "yiaud"

EventRow = tuple[AuditEvent, str | None]


# ---------------------------------------------------------------- readers


def readable(subject: Subject) -> Select[tuple[AuditEvent, str]]:
    """Audit rows with the actor's display name (None for no account); district-wide or nothing."""
    return (
        select(AuditEvent, UserAccount.display_name)
        .outerjoin(UserAccount, UserAccount.id == AuditEvent.actor_id)
        .where(true() if subject.scope.district_wide else false())
    )


def _local_midnight(day: Any) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(UTC)


def filtered(subject: Subject, flt: AuditFilter) -> Select[tuple[AuditEvent, str]]:
    """The readable rows narrowed by a filter (local dates, both ends included)."""
    stmt = readable(subject)
    if flt.person:
        term = flt.person.strip()
        stmt = stmt.where(
            or_(
                AuditEvent.actor_name.contains(term, autoescape=True),
                UserAccount.display_name.contains(term, autoescape=True),
            )
        )
    if flt.role:
        stmt = stmt.where(AuditEvent.actor_role == str(flt.role))
    if flt.action:
        stmt = stmt.where(AuditEvent.action == flt.action)
    if flt.entity:
        stmt = stmt.where(AuditEvent.entity == flt.entity)
    if flt.entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == flt.entity_id)
    if flt.entity_ids is not None:
        stmt = stmt.where(AuditEvent.entity_id.in_(flt.entity_ids))
    if flt.date_from:
        stmt = stmt.where(AuditEvent.at >= _local_midnight(flt.date_from))
    if flt.date_to:
        stmt = stmt.where(AuditEvent.at < _local_midnight(flt.date_to + timedelta(days=1)))
    if flt.ip:
        stmt = stmt.where(AuditEvent.ip == flt.ip)
    return stmt


def count(session: Session, subject: Subject, flt: AuditFilter) -> int:
    """How many rows match."""
    return session.scalar(select(func.count()).select_from(filtered(subject, flt).subquery())) or 0


def search(
    session: Session, subject: Subject, flt: AuditFilter, page: PageParams
) -> tuple[list[EventRow], int]:
    """One page of matching rows, newest first, and how many match in all."""
    stmt = filtered(subject, flt)
    total = count(session, subject, flt)
    rows = session.execute(
        stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset(page.offset)
        .limit(page.size)
    ).all()
    return [(r[0], r[1]) for r in rows], total


def iterate(
    session: Session, subject: Subject, flt: AuditFilter, chunk: int = 2000
) -> Iterator[EventRow]:
    """Every matching row, newest first, streamed (exports)."""
    stmt = filtered(subject, flt).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    yield from session.execute(stmt.execution_options(yield_per=chunk)).tuples()


# ---------------------------------------------------------------- chain upkeep


def allow(session: Session, setting: str) -> None:
    """Let this transaction do what the PostgreSQL trigger reserves for the sealer or archiver."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.set_config(setting, "on", True)))


def try_lock_sealer(session: Session) -> bool:
    """One sealer at a time on PostgreSQL (released at commit); SQLite serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(SEALER_LOCK))))


def last_archive(session: Session) -> AuditArchive | None:
    """The newest archive manifest."""
    return session.scalar(select(AuditArchive).order_by(AuditArchive.last_seq.desc()).limit(1))


def chain_head(session: Session) -> Link:
    """The last sealed link: in the table, else in the newest archive, else the start."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.row_hash)
        .where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if row is not None and row[0] is not None and row[1] is not None:
        return Link(row[0], row[1])
    archived = last_archive(session)
    return Link(archived.last_seq, archived.last_hash) if archived else START


def unsealed(session: Session, *, before: datetime, limit: int) -> Sequence[Row[Any]]:
    """Committed rows not yet chained, older than `before`, in (at, id) order (plain rows)."""
    columns = [getattr(AuditEvent, name) for name in chain.FIELDS]
    return session.execute(
        select(*columns)
        .where(AuditEvent.seq.is_(None), AuditEvent.at <= before)
        .order_by(AuditEvent.at, AuditEvent.id)
        .limit(limit)
    ).all()


def write_seals(session: Session, seals: Sequence[dict[str, Any]]) -> None:
    """Fill seq, prev_hash and row_hash of rows that are still unsealed (one executemany)."""
    if seals:
        session.execute(update(AuditEvent), list(seals))


def unsealed_summary(session: Session) -> tuple[int, datetime | None]:
    """How many rows wait for the sealer, and the oldest of them."""
    count, oldest = session.execute(
        select(func.count(AuditEvent.id), func.min(AuditEvent.at)).where(AuditEvent.seq.is_(None))
    ).one()
    return int(count or 0), oldest


def sealed_after(session: Session, seq: int, limit: int) -> list[AuditEvent]:
    """Sealed rows after a sequence number, in chain order (verification walks in pages)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq.is_not(None), AuditEvent.seq > seq)
            .order_by(AuditEvent.seq)
            .limit(limit)
        )
    )


def first_sealed(session: Session) -> int | None:
    """The lowest sequence number still in the table."""
    return session.scalar(select(func.min(AuditEvent.seq)))


# ---------------------------------------------------------------- archive


def archives(session: Session) -> list[AuditArchive]:
    """Every archive manifest, in chain order."""
    return list(session.scalars(select(AuditArchive).order_by(AuditArchive.first_seq)))


def first_seq_from(session: Session, cutoff: datetime) -> int | None:
    """The first sealed row that is still young enough to stay online (None: every one is old)."""
    return session.scalar(
        select(func.min(AuditEvent.seq)).where(AuditEvent.seq.is_not(None), AuditEvent.at >= cutoff)
    )


def archivable(session: Session, below_seq: int | None, limit: int) -> Iterator[AuditEvent]:
    """Sealed rows from the start of the table up to (not including) `below_seq`, streamed."""
    stmt = select(AuditEvent).where(AuditEvent.seq.is_not(None))
    if below_seq is not None:
        stmt = stmt.where(AuditEvent.seq < below_seq)
    stmt = stmt.order_by(AuditEvent.seq).limit(limit).execution_options(yield_per=1000)
    yield from session.scalars(stmt)


def add_manifest(session: Session, manifest: AuditArchive) -> None:
    """Record an archive file (before its rows are deleted, which the trigger checks)."""
    session.add(manifest)
    session.flush()


def delete_through(session: Session, last_seq: int) -> int:
    """Delete the archived rows up to `last_seq`; returns how many went."""
    allow(session, ARCHIVE_SETTING)
    result = session.execute(
        delete(AuditEvent)
        .where(AuditEvent.seq.is_not(None), AuditEvent.seq <= last_seq)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def display_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Current display names of user accounts (rows about accounts name them)."""
    if not ids:
        return {}
    stmt = select(UserAccount.id, UserAccount.display_name).where(UserAccount.id.in_(ids))
    return {row.id: row.display_name for row in session.execute(stmt)}

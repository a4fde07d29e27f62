"""Engine, session factory, declarative base with a constraint naming convention."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    CursorResult,
    DateTime,
    Engine,
    MetaData,
    Update,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from yiyang.errors import N_, Conflict, DomainError, constraint_error

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

READ_ONLY = "yiyang_read_only"  # execution option of the sessions read_only() opens
DEFERRED = "yiyang_deferred"  # execution option: SQLite begins deferred, IMMEDIATE on a write
_DEFERRED_OPEN = "yiyang_deferred_open"  # connection info: a deferred transaction not yet writing
# What makes a deferred SQLite transaction a writing one (a savepoint: work that may write).
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT)\b", re.IGNORECASE)

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite so autoincrement works.
BigId = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
# JSONB where available: indexable and compact.
Json = JSON().with_variant(postgresql.JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base for every table of every domain."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: Json, list[str]: Json}


def make_engine(url: str, *, pool_size: int = 5, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a sensible busy timeout, other
    databases a pool of `pool_size` kept connections (and as many more at a peak)."""
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (SAVEPOINTs work).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE: a transaction that reads, then writes, waits for the writer (busy
            # timeout) instead of failing at once with "database is locked" when the worker
            # wrote in between, as a deferred BEGIN does in WAL mode. Reads (read_only below,
            # and requests that only read, request_session) begin deferred: WAL gives them a
            # snapshot without the lock, so they run side by side and never wait for writers.
            options = conn.get_execution_options()
            deferred = options.get(READ_ONLY, False) or options.get(DEFERRED, False)
            conn.info[_DEFERRED_OPEN] = deferred
            conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

        @event.listens_for(engine, "before_cursor_execute")
        def _sqlite_first_write(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if conn.info.get(_DEFERRED_OPEN) and _WRITES.match(statement):
                _begin_immediate(conn)

        return engine
    options = {"max_overflow": pool_size} | kwargs
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, **options)


def _begin_immediate(conn: Any) -> None:
    """Turn a deferred SQLite transaction that has not written into an IMMEDIATE one.

    It has only read, so it is begun again, now waiting for the write lock (busy timeout);
    upgrading it in place would fail at once with "database is locked" if another writer
    committed since its snapshot. What it read before is then older than what it writes on,
    as in PostgreSQL's READ COMMITTED; a read that a write depends on calls will_write first.
    """
    conn.info[_DEFERRED_OPEN] = False
    raw = conn.connection.dbapi_connection
    raw.execute("ROLLBACK")
    raw.execute("BEGIN IMMEDIATE")


def will_write(session: Session) -> None:
    """Say that the session's transaction is about to read what it then writes: on SQLite a
    request begun deferred takes the write lock now (a no-op everywhere else)."""
    conn = session.connection()
    if conn.info.get(_DEFERRED_OPEN):
        _begin_immediate(conn)


def request_session(factory: sessionmaker[Session], *, reads: bool) -> Session:
    """The session of one request; on SQLite one that `reads` (GET, HEAD) begins deferred
    and takes the write lock only if it writes (a token touch, an audited lookup)."""
    bind = factory.kw.get("bind")
    if reads and isinstance(bind, Engine) and bind.dialect.name == "sqlite":
        return factory(bind=bind.execution_options(**{DEFERRED: True}))
    return factory()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never expire on commit (the edge commits, then renders)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction for a CLI command, a worker tick or an ingest message."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def update_or_insert(session: Session, update: Update, row: Base) -> None:
    """Write one keyed row over the one there is: `update` it, else insert `row` (in a
    savepoint: when another transaction inserted it meanwhile, `update` it after all)."""
    if cast("CursorResult[Any]", session.execute(update)).rowcount:
        return
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        session.execute(update)


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint a database refused a write for, when the driver says it."""
    diag = getattr(exc.orig, "diag", None)  # psycopg; SQLite names no constraint
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else None


# PostgreSQL's deadlock_detected and serialization_failure: a clash with a concurrent write.
TRY_AGAIN_STATES = frozenset({"40P01", "40001"})


def refusal(exc: DBAPIError) -> DomainError | None:
    """What a write the database refused means to a person, or None for a fault of ours.

    A constraint that stands for a domain rule gives that rule's error; a deadlock or a
    serialization failure (two requests writing the same rows at once, e.g. both checking an
    exclusion constraint) gives a 409 saying nothing was saved and to try again.
    """
    if isinstance(exc, IntegrityError):
        return constraint_error(violated_constraint(exc))
    if getattr(exc.orig, "sqlstate", None) in TRY_AGAIN_STATES:
        return Conflict(
            N_(
                "Someone else changed the same records at the same moment, so nothing was "
                "saved. Try again."
            ),
            code="try_again",
        )
    return None


@contextmanager
def as_domain_errors() -> Iterator[None]:
    """Raise a write the database refused for a reason a person can act on as a domain error.

    The transaction is then unusable, as after any failed write: the caller (the edge, or a
    savepoint around the work) rolls it back, so nothing of the request is kept.
    """
    try:
        yield
    except DBAPIError as exc:
        error = refusal(exc)
        if error is None:
            raise
        raise error from exc


@contextmanager
def read_only(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for long reads (jobs) that never holds up writers; closed (rolled back) after.

    SQLite begins it deferred, so WAL gives it a snapshot without taking the write lock every
    other transaction waits for; PostgreSQL runs it REPEATABLE READ READ ONLY (one snapshot).
    """
    bind = factory.kw.get("bind")
    if isinstance(bind, Engine):
        options: dict[str, Any] = {READ_ONLY: True}
        if bind.dialect.name == "postgresql":
            options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        session = factory(bind=bind.execution_options(**options))
    else:  # a session bound to one connection (tests): it keeps that connection's transaction
        session = factory()
    try:
        yield session
    finally:
        session.close()  # rolls the transaction back; what was read stays loaded

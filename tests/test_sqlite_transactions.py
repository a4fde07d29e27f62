"""SQLite (the embedded default): a request that reads then writes survives a worker's write."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from yiyang.db import make_engine, make_session_factory, request_session, will_write


def test_read_then_write_waits_for_a_concurrent_writer_instead_of_failing(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'busy.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (who TEXT)"))
    request_has_read = threading.Event()
    errors: list[BaseException] = []

    def worker() -> None:
        request_has_read.wait()
        try:
            with engine.begin() as conn:  # waits (busy timeout) until the request commits
                conn.execute(text("INSERT INTO t VALUES ('worker')"))
        except BaseException as exc:  # what a deferred BEGIN gave: "database is locked"
            errors.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    with engine.begin() as conn:  # the request: read, let the worker try, then write
        conn.execute(text("SELECT count(*) FROM t")).scalar()
        request_has_read.set()
        thread.join(timeout=0.5)
        conn.execute(text("INSERT INTO t VALUES ('request')"))
    thread.join(timeout=30)
    assert errors == []
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT who FROM t")).scalars()) == ["request", "worker"]
    engine.dispose()


def _table(tmp_path: Path) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'reads.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (who TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('seed')"))
    return engine, make_session_factory(engine)


def test_a_read_request_does_not_wait_for_a_writer_holding_the_lock(tmp_path: Path) -> None:
    engine, factory = _table(tmp_path)
    writer = engine.connect()
    writer.begin()  # BEGIN IMMEDIATE: holds the write lock until it ends
    writer.execute(text("INSERT INTO t VALUES ('writer')"))
    try:
        started = time.monotonic()
        reader = request_session(factory, reads=True)
        assert reader.scalar(text("SELECT count(*) FROM t")) == 1  # its snapshot, at once
        reader.close()
        assert time.monotonic() - started < 1.0
    finally:
        writer.rollback()
        writer.close()
    engine.dispose()


def test_two_read_requests_run_side_by_side(tmp_path: Path) -> None:
    engine, factory = _table(tmp_path)
    first = request_session(factory, reads=True)
    second = request_session(factory, reads=True)
    assert first.scalar(text("SELECT count(*) FROM t")) == 1
    assert second.scalar(text("SELECT count(*) FROM t")) == 1  # the first holds no lock
    first.close()
    second.close()
    engine.dispose()


def test_a_read_request_that_writes_after_another_commit_takes_the_lock(
    tmp_path: Path,
) -> None:
    engine, factory = _table(tmp_path)
    request = request_session(factory, reads=True)
    assert request.scalar(text("SELECT count(*) FROM t")) == 1  # deferred: a snapshot
    with engine.begin() as conn:  # a worker commits in between
        conn.execute(text("INSERT INTO t VALUES ('worker')"))
    request.execute(text("INSERT INTO t VALUES ('request')"))  # no "database is locked"
    request.commit()
    request.close()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 3
    engine.dispose()


def test_will_write_takes_the_lock_before_the_read_it_depends_on(tmp_path: Path) -> None:
    engine, factory = _table(tmp_path)
    request = request_session(factory, reads=True)
    request.scalar(text("SELECT count(*) FROM t"))
    will_write(request)  # from here on it holds the write lock: others wait for it
    other = sqlite3.connect(tmp_path / "reads.sqlite3", timeout=0.1, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.close()
    request.rollback()
    request.close()
    engine.dispose()

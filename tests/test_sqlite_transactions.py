"""SQLite (the embedded default): a request that reads then writes survives a worker's write."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text

from yiyang.db import make_engine


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

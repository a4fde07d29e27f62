"""Many requests inserting audit rows while two sealers run: one linear chain, nothing missed."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from yiyang.db import make_session_factory
from yiyang.kit.clock import utcnow
from yiyang.security.audit import sealer
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.audit.verify import verify
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

WRITERS = 8
TRANSACTIONS = 20


def _write(factory: sessionmaker[Session], n: int, errors: list[BaseException]) -> None:
    rng = random.Random(n)
    subject = Subject(None, f"writer{n}", f"writer{n}", Role.OPERATOR)
    try:
        for t in range(TRANSACTIONS):
            with factory() as s, s.begin():
                for _ in range(rng.randint(1, 3)):
                    audit.record(s, subject, "update", "elder", n * 1000 + t, at=utcnow())
                s.flush()
                time.sleep(rng.random() * 0.02)
    except BaseException as exc:
        errors.append(exc)


def _slow(factory: sessionmaker[Session], late: list[int], errors: list[BaseException]) -> None:
    """A long transaction: its row is stamped early but commits after later rows are sealed."""
    try:
        with factory() as s, s.begin():
            event = audit.record(s, Subject(None, "slow", "slow", Role.OPERATOR), "import",
                                 "elder", None, at=utcnow())  # fmt: skip
            s.flush()
            late.append(event.id)
            time.sleep(1.5)
    except BaseException as exc:
        errors.append(exc)


def _seal(
    factory: sessionmaker[Session], stop: threading.Event, errors: list[BaseException]
) -> None:
    try:
        while not stop.is_set():
            sealer.seal_new(factory, utcnow(), grace=timedelta(0))
            time.sleep(0.01)
    except BaseException as exc:
        errors.append(exc)


def test_concurrent_inserts_and_two_sealers_make_one_linear_chain(
    scratch: Engine, tmp_path: object
) -> None:
    if scratch.dialect.name != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite has one writer)")
    factory = make_session_factory(scratch)
    errors: list[BaseException] = []
    late: list[int] = []
    stop = threading.Event()
    sealers = [threading.Thread(target=_seal, args=(factory, stop, errors)) for _ in range(2)]
    writers = [threading.Thread(target=_write, args=(factory, n, errors)) for n in range(WRITERS)]
    slow = threading.Thread(target=_slow, args=(factory, late, errors))
    for thread in (*sealers, slow, *writers):
        thread.start()
    for thread in (slow, *writers):
        thread.join(timeout=60)
    time.sleep(0.2)
    stop.set()
    for thread in sealers:
        thread.join(timeout=30)
    assert errors == []
    sealer.seal_new(factory, utcnow(), grace=timedelta(0))
    with factory() as s:
        total = s.scalar(select(func.count(AuditEvent.id)))
        seqs = list(s.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        assert seqs == list(range(1, (total or 0) + 1))  # every row sealed, no gap, no fork
        slow_row = s.get_one(AuditEvent, late[0])
        stamped_later = s.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.at > slow_row.at, AuditEvent.seq < slow_row.seq
            )
        )
        assert stamped_later  # it committed late, so it was chained after younger rows
        report = verify(s, tmp_path)  # type: ignore[arg-type]
        assert report.broken is None and report.table_rows == total and report.unsealed == 0

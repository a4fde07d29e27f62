"""Chain new audit rows after they are committed: one sealer at a time, never in a request.

Requests only INSERT unsealed rows, so they never wait on each other for the chain. The
sealer (a worker step) takes committed rows older than a grace period in (at, id) order and
gives each the next `seq` and its hashes. A row whose transaction commits late is simply
sealed in a later pass with a higher `seq`: the chain order is the seal order, always linear.
See docs/adr/0005-audit-chain.md.
"""

from __future__ import annotations

import time as wallclock
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from yiyang.security.audit import chain, repository

GRACE = timedelta(seconds=5)  # most request transactions have committed by then
BATCH = 500  # rows per transaction: short write locks on SQLite
BUDGET_SECONDS = 2.0  # one worker tick seals at most about this long


def seal(session: Session, now: datetime, *, limit: int = BATCH, grace: timedelta = GRACE) -> int:
    """Chain up to `limit` unsealed rows in the caller's transaction; returns how many."""
    rows = repository.unsealed(session, before=now - grace, limit=limit)
    if not rows:
        return 0
    repository.allow(session, repository.SEAL_SETTING)
    head = repository.chain_head(session)
    seals = []
    for row in rows:
        seq = head.seq + 1
        digest = chain.row_hash(chain.record_of(row), seq, head.row_hash)
        seals.append({"id": row.id, "seq": seq, "prev_hash": head.row_hash, "row_hash": digest})
        head = chain.Link(seq, digest)
    repository.write_seals(session, seals)
    return len(seals)


def seal_new(factory: sessionmaker[Session], now: datetime, *, grace: timedelta = GRACE) -> int:
    """Worker step: seal what has accumulated, in short transactions, within a time budget."""
    sealed = 0
    started = wallclock.monotonic()
    while wallclock.monotonic() - started < BUDGET_SECONDS:
        with factory() as session, session.begin():
            if not repository.try_lock_sealer(session):
                return sealed  # another worker is sealing
            done = seal(session, now, grace=grace)
        sealed += done
        if done < BATCH:
            break
    return sealed

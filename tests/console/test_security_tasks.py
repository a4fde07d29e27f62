"""The daily timer forgets ended sessions and tokens and idle sign-in counters, nothing else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from yiyang.config import Settings
from yiyang.console import security_tasks as tasks
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.security.models import AuthToken, LoginThrottle
from yiyang.security.roles import Role


def test_ended_sign_ins_and_idle_counters_go_and_live_ones_stay(
    db: Session, clock: FakeClock
) -> None:
    settings = Settings(auth_keep_days=30)
    user, _ = make_user(db, Role.OPERATOR)
    now, long_ago = clock.now, clock.now - timedelta(days=31)
    tokens = {
        "expired_long_ago": AuthToken(user_id=user.id, kind="session", token_hash="a" * 64,
                                      created_at=long_ago, expires_at=long_ago),
        "revoked_long_ago": AuthToken(user_id=user.id, kind="api", token_hash="b" * 64,
                                      created_at=long_ago, expires_at=now + timedelta(days=60),
                                      revoked_at=long_ago),
        "expired_lately": AuthToken(user_id=user.id, kind="session", token_hash="c" * 64,
                                    created_at=now, expires_at=now - timedelta(days=2)),
        "live": AuthToken(user_id=user.id, kind="api", token_hash="d" * 64, created_at=now,
                          expires_at=now + timedelta(days=60)),
    }  # fmt: skip
    counters = {
        "idle": LoginThrottle(key="user:typo-name", attempts=1, updated_at=long_ago),
        "still_locked": LoginThrottle(key="user:locked", failures=5, updated_at=long_ago,
                                      locked_until=now + timedelta(minutes=5)),
        "recent": LoginThrottle(key="ip:10.0.0.9", attempts=2, updated_at=now),
    }  # fmt: skip
    db.add_all([*tokens.values(), *counters.values()])
    db.flush()
    fired = timers.schedule(db, tasks.FORGET, 0, now)
    tasks.forget_ended(TimerContext(db, now, settings), fired)
    fired.fired_at = now
    db.flush()
    db.expire_all()
    kept_tokens = set(db.scalars(select(AuthToken.token_hash).where(AuthToken.user_id == user.id)))
    assert kept_tokens == {tokens["expired_lately"].token_hash, tokens["live"].token_hash}
    kept_keys = set(db.scalars(select(LoginThrottle.key)))
    assert {"user:locked", "ip:10.0.0.9"} <= kept_keys and "user:typo-name" not in kept_keys
    assert [t.due_at for t in timers.pending(db, tasks.FORGET)] == [now + tasks.EVERY]


def test_start_up_arms_one_timer(db: Session, clock: FakeClock) -> None:
    tasks.ensure_timer(db, clock.now)
    tasks.ensure_timer(db, clock.now)
    assert len(timers.pending(db, tasks.FORGET)) == 1

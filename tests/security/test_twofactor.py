"""Two-factor sign-in: enrolment, codes used once, recovery codes, turning it off, audited."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from yiyang.errors import Conflict, Invalid
from yiyang.security import twofactor
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import RecoveryCode, TotpCredential
from yiyang.security.roles import Role
from yiyang.security.subject import Subject


def code_at(secret: str, clock: FakeClock, steps: int = 0) -> str:
    """What the authenticator app shows at the fake clock's time (steps of 30 s away)."""
    return pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30 * steps))


def enrol(db: Session, subject: Subject, clock: FakeClock) -> tuple[str, list[str]]:
    """Set up and confirm a key; returns it and the recovery codes."""
    setup = twofactor.begin(db, subject, now=clock.now, issuer="yiyang")
    codes = twofactor.confirm(db, subject, code_at(setup.secret, clock), now=clock.now)
    clock.advance(seconds=30)  # the confirming code is used; the next one is fresh
    return setup.secret, codes


def actions(db: Session, user_id: int) -> list[str]:
    return list(
        db.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "user", AuditEvent.entity_id == user_id)
            .order_by(AuditEvent.id)
        )
    )


def test_set_up_shows_a_key_and_an_otpauth_address(db: Session, clock: FakeClock) -> None:
    _user, subject = make_user(db, Role.DISTRICT_ADMIN)
    setup = twofactor.begin(db, subject, now=clock.now, issuer="yiyang")
    assert len(setup.secret) == 32
    assert setup.uri.startswith("otpauth://totp/yiyang:") and f"secret={setup.secret}" in setup.uri
    again = twofactor.begin(db, subject, now=clock.now, issuer="yiyang")
    assert again.secret == setup.secret  # the waiting key is kept until confirmed
    assert not twofactor.status(db, subject).enrolled


def test_confirm_needs_the_right_code_then_gives_ten_hashed_recovery_codes(
    db: Session, clock: FakeClock
) -> None:
    user, subject = make_user(db, Role.DISTRICT_ADMIN)
    setup = twofactor.begin(db, subject, now=clock.now, issuer="yiyang")
    with pytest.raises(Invalid) as caught:
        twofactor.confirm(db, subject, "000000", now=clock.now)
    assert caught.value.field == "code"
    codes = twofactor.confirm(db, subject, code_at(setup.secret, clock), now=clock.now)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id))
    hashes = set(stored)
    assert len(hashes) == 10 and not hashes & set(codes)
    status = twofactor.status(db, subject)
    assert status.enrolled and status.recovery_left == 10
    assert actions(db, user.id) == ["totp_enrol"]
    with pytest.raises(Conflict):
        twofactor.begin(db, subject, now=clock.now, issuer="yiyang")


def test_a_code_is_good_once_and_drift_of_one_step_is_forgiven(
    db: Session, clock: FakeClock
) -> None:
    user, subject = make_user(db, Role.DISTRICT_ADMIN)
    secret, _ = enrol(db, subject, clock)
    code = code_at(secret, clock)
    assert twofactor.verify(db, subject, user.id, code, now=clock.now) == twofactor.TOTP
    with pytest.raises(twofactor.BadCode):
        twofactor.verify(db, subject, user.id, code, now=clock.now)  # replayed
    with pytest.raises(twofactor.BadCode):  # an older code of the same window, too
        twofactor.verify(db, subject, user.id, code_at(secret, clock, -1), now=clock.now)
    clock.advance(seconds=30)
    late_phone = code_at(secret, clock, +1)
    assert twofactor.verify(db, subject, user.id, late_phone, now=clock.now) == twofactor.TOTP
    clock.advance(minutes=5)
    with pytest.raises(twofactor.BadCode):
        twofactor.verify(db, subject, user.id, code_at(secret, clock, -3), now=clock.now)


def test_recovery_codes_work_once_and_are_audited(db: Session, clock: FakeClock) -> None:
    user, subject = make_user(db, Role.DISTRICT_ADMIN)
    _, codes = enrol(db, subject, clock)
    typed = codes[3].upper().replace("-", " ")  # as read aloud or typed from paper
    assert twofactor.verify(db, subject, user.id, typed, now=clock.now) == twofactor.RECOVERY
    with pytest.raises(twofactor.BadCode):
        twofactor.verify(db, subject, user.id, codes[3], now=clock.now)
    assert twofactor.status(db, subject).recovery_left == 9
    used = db.scalar(select(AuditEvent).where(AuditEvent.action == "recovery_code_use"))
    assert used is not None and used.entity_id == user.id and used.after == {"left": 9}


def test_turning_off_needs_the_password_and_a_code(db: Session, clock: FakeClock) -> None:
    user, subject = make_user(db, Role.OPERATOR)
    secret, _ = enrol(db, subject, clock)
    with pytest.raises(Invalid) as wrong_password:
        twofactor.disable(db, subject, "nope", code_at(secret, clock), now=clock.now)
    assert wrong_password.value.field == "password"
    with pytest.raises(Invalid) as wrong_code:
        twofactor.disable(db, subject, PASSWORD, "123456", now=clock.now)
    assert wrong_code.value.field == "code"
    twofactor.disable(db, subject, PASSWORD, code_at(secret, clock), now=clock.now)
    assert not twofactor.status(db, subject).enrolled
    assert db.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id)) is None
    assert db.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user.id)) is None
    assert actions(db, user.id) == ["totp_enrol", "totp_disable"]


def test_new_recovery_codes_replace_the_old_ones(db: Session, clock: FakeClock) -> None:
    user, subject = make_user(db, Role.OPERATOR)
    secret, old = enrol(db, subject, clock)
    with pytest.raises(Invalid):
        twofactor.new_recovery_codes(db, subject, old[0], now=clock.now)  # needs the app
    new = twofactor.new_recovery_codes(db, subject, code_at(secret, clock), now=clock.now)
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(twofactor.BadCode):
        twofactor.verify(db, subject, user.id, old[0], now=clock.now)
    assert twofactor.verify(db, subject, user.id, new[0], now=clock.now) == twofactor.RECOVERY
    assert "recovery_codes_new" in actions(db, user.id)

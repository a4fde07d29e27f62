"""Two-factor sign-in: an authenticator key (TOTP), single-use recovery codes, audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from pyotp.utils import strings_equal
from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid, NotFound, Unauthorized
from yiyang.security import repository
from yiyang.security.audit import service as audit
from yiyang.security.models import RecoveryCode, TotpCredential
from yiyang.security.passwords import verify_password
from yiyang.security.subject import Subject

RECOVERY_CODES = 10
# Letters and digits that cannot be mistaken for one another when typed from paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 16  # about 79 bits: a SHA-256 of it is safe to store
# A code is accepted one time step (30 s) early or late, for clocks that drift a little.
_DRIFT_STEPS = 1
TOTP = "totp"
RECOVERY = "recovery"


class BadCode(Unauthorized):
    """The second-factor code is wrong, expired or already used."""

    code = "bad_code"


@dataclass(frozen=True)
class Setup:
    """What an authenticator app needs: the key to type, and the otpauth:// address for a QR."""

    secret: str
    uri: str


@dataclass(frozen=True)
class Status:
    """Whether the account has a second factor and how many recovery codes it has left."""

    enrolled: bool
    confirmed_at: datetime | None
    recovery_left: int


def _normal(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


def _issue_recovery_codes(session: Session, user_id: int, now: datetime) -> list[str]:
    """Ten new recovery codes for the account; only their hashes are kept."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for raw in codes:
        session.add(RecoveryCode(user_id=user_id, code_hash=_recovery_hash(raw), created_at=now))
    return codes


def _setup(credential: TotpCredential, username: str, issuer: str) -> Setup:
    uri = pyotp.TOTP(credential.secret).provisioning_uri(name=username, issuer_name=issuer)
    return Setup(credential.secret, uri)


def _user_id(subject: Subject) -> int:
    if subject.user_id is None:
        raise NotFound(N_("Account not found."))
    return subject.user_id


def status(session: Session, subject: Subject) -> Status:
    """The second factor of one's own account."""
    user_id = _user_id(subject)
    credential = repository.totp_of(session, user_id)
    confirmed = credential is not None and credential.confirmed_at is not None
    return Status(
        enrolled=confirmed,
        confirmed_at=credential.confirmed_at if credential and confirmed else None,
        recovery_left=repository.unused_recovery_codes(session, user_id) if confirmed else 0,
    )


def begin(session: Session, subject: Subject, *, now: datetime, issuer: str) -> Setup:
    """A new authenticator key waiting for its first code (an unconfirmed one is kept)."""
    user_id = _user_id(subject)
    credential = repository.totp_of(session, user_id, lock=True)
    if credential is not None and credential.confirmed_at is not None:
        raise Conflict(N_("Two-factor sign-in is already on."), code="enrolled")
    if credential is None:
        credential = TotpCredential(user_id=user_id, secret=pyotp.random_base32(), created_at=now)
        session.add(credential)
        session.flush()
    return _setup(credential, subject.username, issuer)


def _matching_step(credential: TotpCredential, code: str, now: datetime) -> int | None:
    """The time step whose code this is, if it is near now and newer than the last one used."""
    totp = pyotp.TOTP(credential.secret)
    current = totp.timecode(now)
    for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
        if strings_equal(code, totp.generate_otp(step)):
            if credential.last_counter is not None and step <= credential.last_counter:
                return None  # replayed
            return step
    return None


def confirm(session: Session, subject: Subject, code: str, *, now: datetime) -> list[str]:
    """Turn the key on with its first code; returns the ten recovery codes, shown once."""
    user_id = _user_id(subject)
    credential = repository.totp_of(session, user_id, lock=True)
    if credential is None:
        raise Invalid(N_("Start the set-up again: no key is waiting."), code="no_setup")
    if credential.confirmed_at is not None:
        raise Conflict(N_("Two-factor sign-in is already on."), code="enrolled")
    step = _matching_step(credential, _normal(code), now)
    if step is None:
        raise Invalid(
            N_("The code does not match. Check the time on your phone and type the newest code."),
            code="bad_code",
            field="code",
        )
    credential.confirmed_at = now
    credential.last_counter = step
    audit.record(session, subject, "totp_enrol", "user", user_id, at=now)
    return _issue_recovery_codes(session, user_id, now)


def verify(session: Session, actor: Subject, user_id: int, code: str, *, now: datetime) -> str:
    """Accept an authenticator code (once) or an unused recovery code; returns which it was."""
    normal = _normal(code)
    credential = repository.totp_of(session, user_id, lock=True)
    if credential is None or credential.confirmed_at is None:
        raise BadCode(N_("The code is wrong, expired or already used."))
    if normal.isdigit():
        step = _matching_step(credential, normal, now)
        if step is None:
            raise BadCode(N_("The code is wrong, expired or already used."))
        credential.last_counter = step
        return TOTP
    recovery = repository.unused_recovery_code(session, user_id, _recovery_hash(normal))
    if recovery is None:
        raise BadCode(N_("The code is wrong, expired or already used."))
    recovery.used_at = now
    left = repository.unused_recovery_codes(session, user_id)
    audit.record(session, actor, "recovery_code_use", "user", user_id, after={"left": left}, at=now)
    return RECOVERY


def _verify_field(
    session: Session, subject: Subject, user_id: int, code: str, now: datetime
) -> None:
    """verify() for a form of one's own: a wrong code is a problem of the field `code`."""
    try:
        verify(session, subject, user_id, code, now=now)
    except BadCode as exc:
        raise Invalid(exc.message, code="bad_code", field="code") from exc


def disable(session: Session, subject: Subject, password: str, code: str, *, now: datetime) -> None:
    """Turn the second factor off with the password and a current code (or a recovery code)."""
    user_id = _user_id(subject)
    user = repository.user_for_update(session, user_id)
    if user is None:
        raise NotFound(N_("Account not found."))
    if not verify_password(user.password_hash, password):
        raise Invalid(N_("The password is wrong."), code="bad_password", field="password")
    _verify_field(session, subject, user_id, code, now)
    repository.forget_second_factor(session, user_id)
    audit.record(session, subject, "totp_disable", "user", user_id, at=now)


def new_recovery_codes(
    session: Session, subject: Subject, code: str, *, now: datetime
) -> list[str]:
    """Replace every recovery code by ten new ones, with a current authenticator code."""
    user_id = _user_id(subject)
    if not _normal(code).isdigit():
        raise Invalid(N_("Type the code your authenticator app shows."), field="code")
    _verify_field(session, subject, user_id, code, now)
    repository.forget_recovery_codes(session, user_id)
    audit.record(session, subject, "recovery_codes_new", "user", user_id, at=now)
    return _issue_recovery_codes(session, user_id, now)

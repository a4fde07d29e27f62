"""Credential checks of every way of signing in: password, second factor, or both at once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from yiyang.errors import N_, Unauthorized
from yiyang.security import repository, twofactor
from yiyang.security.passwords import verify_password
from yiyang.security.roles import Role
from yiyang.security.service import subject_for


class BadCredentials(Unauthorized):
    """Wrong user name or password (which of the two is never said)."""

    code = "bad_credentials"


class SecondFactor(StrEnum):
    """Where a sign-in stands after its password."""

    NOT_NEEDED = "not_needed"  # no second factor and none required
    OWED = "owed"  # the account has one: a code must follow
    DONE = "done"  # the code was given and accepted
    ENROL = "enrol"  # the role requires one the account does not have yet


@dataclass(frozen=True)
class Verified:
    """An account whose credentials were right, and what is still owed."""

    user_id: int
    username: str
    second_factor: SecondFactor
    how: str = "password"

    @property
    def complete(self) -> bool:
        """No code is owed: the account's past failures may be forgotten."""
        return self.second_factor is not SecondFactor.OWED


def check_password(
    session: Session, username: str, password: str, *, required_roles: Collection[Role]
) -> Verified:
    """The account of this user name and password, or BadCredentials."""
    user = repository.user_by_username(session, username.strip())
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise BadCredentials(N_("Wrong user name or password."))
    credential = repository.totp_of(session, user.id)
    if credential is not None and credential.confirmed_at is not None:
        step = SecondFactor.OWED
    elif Role(user.role) in required_roles:
        step = SecondFactor.ENROL
    else:
        step = SecondFactor.NOT_NEEDED
    return Verified(user.id, user.username, step)


def check_code(
    session: Session, verified: Verified, code: str, *, now: datetime, address: str | None
) -> Verified:
    """Accept the second factor owed by a sign-in whose password was right."""
    user = repository.user_by_username(session, verified.username)
    if user is None or not user.active:
        raise BadCredentials(N_("Wrong user name or password."))
    how = twofactor.verify(session, subject_for(user, address), user.id, code, now=now)
    return replace(verified, second_factor=SecondFactor.DONE, how=f"password+{how}")


def check_password_and_code(
    session: Session,
    username: str,
    password: str,
    code: str | None,
    *,
    required_roles: Collection[Role],
    now: datetime,
    address: str | None,
) -> Verified:
    """One request with both (the API): the code is looked at only after a right password."""
    verified = check_password(session, username, password, required_roles=required_roles)
    if verified.second_factor is SecondFactor.OWED and code:
        return check_code(session, verified, code, now=now, address=address)
    return verified

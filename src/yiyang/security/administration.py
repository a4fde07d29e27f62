"""What a district administrator does to another person's account: deactivate and reactivate
it, hand out a temporary password, lift a sign-in lock, remove a lost second factor.

Each change locks the account row, ends the account's sessions where it takes access away,
and is audited with the reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid, NotFound
from yiyang.security import repository, throttle
from yiyang.security.audit import service as audit
from yiyang.security.models import UserAccount
from yiyang.security.passwords import PasswordPolicy, hash_password, temporary_password
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

REASON_MAX = 200


def _target(session: Session, actor: Subject, user_id: int) -> UserAccount:
    """The other person's account, locked; NotFound when there is none."""
    actor.require(Perm.USER_MANAGE)
    user = repository.user_for_update(session, user_id)
    if user is None:
        raise NotFound(N_("Account %(id)s not found."), id=user_id)
    if user.id == actor.user_id:
        raise Conflict(
            N_("This is your own account: use your account pages to change it."),
            code="own_account",
        )
    return user


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text:
        raise Invalid(N_("Say why the account is deactivated."), field="reason", code="required")
    if len(text) > REASON_MAX:
        raise Invalid(
            N_("The reason may be at most %(max)s characters."), field="reason", max=REASON_MAX
        )
    return text


def deactivate(
    session: Session, actor: Subject, user_id: int, *, reason: str, now: datetime
) -> UserAccount:
    """Nobody signs in to the account any more and its open sessions and API tokens end."""
    why = _reason(reason)
    user = _target(session, actor, user_id)
    if not user.active:
        return user
    user.active = False
    repository.revoke_tokens(session, user.id, now)
    audit.record(
        session, actor, "account_deactivate", "user", user.id,
        before={"active": True}, after={"active": False}, detail=why, at=now,
    )  # fmt: skip
    return user


def reactivate(session: Session, actor: Subject, user_id: int, *, now: datetime) -> UserAccount:
    """The account may sign in again, with the password it had."""
    user = _target(session, actor, user_id)
    if user.active:
        return user
    user.active = True
    audit.record(
        session, actor, "account_reactivate", "user", user.id,
        before={"active": False}, after={"active": True}, at=now,
    )  # fmt: skip
    return user


def reset_password(
    session: Session, actor: Subject, user_id: int, *, now: datetime, policy: PasswordPolicy
) -> str:
    """A temporary password (returned once, never stored in clear) that the person must
    replace at the next sign-in; sessions end and a running sign-in lock is lifted."""
    user = _target(session, actor, user_id)
    if not user.active:
        raise Conflict(
            N_("The account is deactivated: reactivate it before giving it a password."),
            code="inactive",
        )
    password = temporary_password(policy, Role(user.role), user.username, user.display_name)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.password_must_change = True
    repository.revoke_tokens(session, user.id, now)
    unlocked = throttle.lift_lock(session, user.username, now)
    audit.record(
        session, actor, "password_reset", "user", user.id,
        after={"must_change": True, "unlocked": unlocked}, at=now,
    )  # fmt: skip
    return password


def lift_lock(session: Session, actor: Subject, user_id: int, *, now: datetime) -> bool:
    """Forget the account's failed sign-ins so that the person may try again now; True when
    a lock was running (audited either way)."""
    user = _target(session, actor, user_id)
    unlocked = throttle.lift_lock(session, user.username, now)
    audit.record(
        session, actor, "login_unlock", "user", user.id, after={"unlocked": unlocked}, at=now
    )
    return unlocked


def remove_second_factor(session: Session, actor: Subject, user_id: int, *, now: datetime) -> None:
    """The person lost the authenticator: the app and its recovery codes stop working, the
    sessions end, and a role that needs a second factor sets a new one up at the next
    sign-in."""
    user = _target(session, actor, user_id)
    if repository.totp_of(session, user.id) is None:
        raise Conflict(N_("This account has no second factor to remove."), code="no_second_factor")
    repository.forget_second_factor(session, user.id)
    repository.revoke_tokens(session, user.id, now)
    audit.record(session, actor, "totp_reset", "user", user.id, at=now)

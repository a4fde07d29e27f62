"""Accounts: the Subject of an account, password change and account creation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid, NotFound
from yiyang.security import repository
from yiyang.security.audit import service as audit
from yiyang.security.models import PasswordHistory, UserAccount
from yiyang.security.passwords import (
    PasswordPolicy,
    check_policy,
    hash_password,
    verify_password,
)
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject


def subject_for(user: UserAccount, ip: str | None = None) -> Subject:
    """The Subject of an account: its area binding is a street or a community by its role."""
    return Subject(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        street_id=user.area_id if user.role == Role.STREET_ADMIN else None,
        community_id=user.area_id if user.role == Role.COMMUNITY_STAFF else None,
        provider_id=user.provider_id,
        staff_id=user.staff_id,
        elder_id=user.elder_id,
        ip=ip,
    )


def _remember_password(
    session: Session, user: UserAccount, now: datetime, policy: PasswordPolicy | None
) -> None:
    """Keep the new hash in the history and forget the ones past the policy's count."""
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, set_at=now))
    session.flush()
    if policy is not None:
        repository.prune_password_history(session, user.id, policy.history)


def _refuse_reuse(session: Session, user: UserAccount, new: str, policy: PasswordPolicy) -> None:
    """A new password may not be the current one nor one of the last few."""
    recent = [
        user.password_hash,
        *repository.recent_password_hashes(session, user.id, policy.history),
    ]
    if any(verify_password(old, new) for old in list(dict.fromkeys(recent))[: policy.history]):
        raise Invalid(
            N_("Choose a password you have not used for your last %(count)s passwords."),
            code="reused",
            field="new_password",
            count=policy.history,
        )


def change_password(
    session: Session,
    subject: Subject,
    current: str,
    new: str,
    *,
    now: datetime,
    policy: PasswordPolicy,
) -> None:
    """Change one's own password and end every session of the account."""
    if subject.user_id is None:
        raise NotFound(N_("Account not found."))
    user = repository.user_for_update(session, subject.user_id)
    if user is None:
        raise NotFound(N_("Account not found."))
    if not verify_password(user.password_hash, current):
        raise Invalid(N_("The current password is wrong."), field="current_password")
    check_policy(
        new,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        policy=policy,
    )
    _refuse_reuse(session, user, new, policy)
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    user.password_must_change = False
    _remember_password(session, user, now, policy)
    repository.revoke_tokens(session, user.id, now)
    audit.record(session, subject, "password_change", "user", user.id, at=now)


def create_user(
    session: Session,
    actor: Subject,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    policy: PasswordPolicy | None,
    area_id: int | None = None,
    provider_id: int | None = None,
    staff_id: int | None = None,
    elder_id: int | None = None,
    must_change: bool = False,
) -> UserAccount:
    """Create an account whose bindings the caller has checked (registry.accounts does).

    The password must meet the policy; only seeding passes None, with its known password.
    must_change: the password is a temporary one the person replaces at the first sign-in.
    """
    actor.require(Perm.USER_MANAGE)
    if repository.username_taken(session, username):
        raise Conflict(
            N_("The user name %(username)s is taken."), field="username", username=username
        )
    if policy is not None:
        check_policy(
            password,
            username=username,
            display_name=display_name,
            role=role,
            policy=policy,
            field="password",
        )
    user = UserAccount(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        role=str(role),
        area_id=area_id,
        provider_id=provider_id,
        staff_id=staff_id,
        elder_id=elder_id,
        password_must_change=must_change,
    )
    session.add(user)
    session.flush()
    _remember_password(session, user, user.password_changed_at, policy)
    audit.record(
        session, actor, "create", "user", user.id, after={"username": username, "role": str(role)}
    )
    return user

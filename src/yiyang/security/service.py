"""Login, logout, token authentication, password change and account creation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid, NotFound, Unauthorized
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import AuthToken, UserAccount
from yiyang.security.passwords import check_policy, hash_password, verify_password
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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


def _recent_failures(session: Session, username: str, now: datetime) -> int:
    stmt = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "login_failed",
        AuditEvent.actor_name == username,
        AuditEvent.at >= now - LOCKOUT,
    )
    return session.scalar(stmt) or 0


def login(
    session: Session,
    username: str,
    password: str,
    *,
    now: datetime,
    ttl: timedelta,
    ip: str | None = None,
    kind: str = "session",
) -> tuple[str, UserAccount]:
    """Check credentials and open a session; returns the raw token (shown once)."""
    username = username.strip()
    if _recent_failures(session, username, now) >= MAX_FAILED_LOGINS:
        raise Unauthorized(
            N_("Too many failed attempts. Try again in %(minutes)s minutes."),
            code="locked",
            minutes=int(LOCKOUT.total_seconds() // 60),
        )
    user = session.scalar(select(UserAccount).where(UserAccount.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        anonymous = Subject(None, username, username, Role.AUDITOR, ip=ip)
        audit.record(session, anonymous, "login_failed", "user", user.id if user else None, at=now)
        raise Unauthorized(N_("Wrong user name or password."), code="bad_credentials")
    raw = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            user_id=user.id,
            kind=kind,
            token_hash=_token_hash(raw),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    user.last_login_at = now
    audit.record(session, subject_for(user, ip), "login", "user", user.id, at=now)
    return raw, user


def authenticate(session: Session, raw: str, *, now: datetime, ip: str | None = None) -> Subject:
    """Resolve a raw session or API token to its Subject, or raise Unauthorized."""
    row = session.execute(
        select(AuthToken, UserAccount)
        .join(UserAccount, UserAccount.id == AuthToken.user_id)
        .where(AuthToken.token_hash == _token_hash(raw))
    ).first()
    if row is None:
        raise Unauthorized(N_("Please log in."))
    token, user = row
    if token.revoked_at is not None or token.expires_at <= now or not user.active:
        raise Unauthorized(N_("Your session has ended. Please log in again."))
    return subject_for(user, ip)


def logout(session: Session, raw: str, *, now: datetime) -> None:
    """Revoke the token presented (idempotent)."""
    token = session.scalar(select(AuthToken).where(AuthToken.token_hash == _token_hash(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = now


def change_password(
    session: Session, subject: Subject, current: str, new: str, *, now: datetime
) -> None:
    """Change one's own password and end every other session of the account."""
    user = session.get(UserAccount, subject.user_id)
    if user is None:
        raise NotFound(N_("Account not found."))
    if not verify_password(user.password_hash, current):
        raise Invalid(N_("The current password is wrong."), field="current_password")
    if current == new:
        raise Invalid(N_("Choose a password different from the current one."), field="new_password")
    check_policy(new, user.username)
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    for token in session.scalars(
        select(AuthToken).where(AuthToken.user_id == user.id, AuthToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    audit.record(session, subject, "password_change", "user", user.id, at=now)


def create_user(
    session: Session,
    actor: Subject,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    area_id: int | None = None,
    provider_id: int | None = None,
    staff_id: int | None = None,
    elder_id: int | None = None,
    check_password: bool = True,
) -> UserAccount:
    """Create an account whose bindings the caller has checked (registry.accounts does)."""
    actor.require(Perm.USER_MANAGE)
    if session.scalar(select(UserAccount.id).where(UserAccount.username == username)):
        raise Conflict(
            N_("The user name %(username)s is taken."), field="username", username=username
        )
    if check_password:
        check_policy(password, username)
    user = UserAccount(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name,
        role=str(role),
        area_id=area_id,
        provider_id=provider_id,
        staff_id=staff_id,
        elder_id=elder_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "create", "user", user.id, after={"username": username, "role": str(role)}
    )
    return user

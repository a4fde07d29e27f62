"""Page sessions and API tokens: issue, authenticate (idle and absolute expiry), list, revoke."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.errors import N_, NotFound, Unauthorized
from yiyang.security import repository, rules
from yiyang.security.audit import service as audit
from yiyang.security.models import AuthToken, UserAccount
from yiyang.security.service import subject_for
from yiyang.security.subject import Subject

SESSION = "session"
API = "api"
# A session whose password was right and whose second factor is still owed opens nothing.
SECOND_FACTOR = "second_factor"


@dataclass(frozen=True)
class TokenPolicy:
    """Absolute and idle lifetimes of page sessions and API tokens."""

    session_ttl: timedelta
    session_idle: timedelta
    api_ttl: timedelta
    api_idle: timedelta
    second_step: timedelta = timedelta(minutes=5)

    @classmethod
    def of(cls, settings: Settings) -> TokenPolicy:
        """The lifetimes the settings describe."""
        return cls(
            session_ttl=timedelta(hours=settings.session_hours),
            session_idle=timedelta(minutes=settings.session_idle_minutes),
            api_ttl=timedelta(days=settings.api_token_days),
            api_idle=timedelta(days=settings.api_token_idle_days),
        )

    def ttl(self, kind: str) -> timedelta:
        """The absolute lifetime of a token of this kind."""
        return self.api_ttl if kind == API else self.session_ttl

    def idle(self, kind: str) -> timedelta:
        """How long a token of this kind may go unused."""
        return self.api_idle if kind == API else self.session_idle


@dataclass(frozen=True)
class Authenticated:
    """Who a token belongs to, which token it is, whether the account has a second factor and
    whether it still holds a temporary password it must replace."""

    subject: Subject
    token_id: int
    kind: str
    second_factor: bool
    must_change_password: bool = False


@dataclass(frozen=True)
class Pending:
    """A sign-in whose password was right and whose second factor is owed."""

    token_id: int
    user_id: int
    username: str


def token_hash(raw: str) -> str:
    """Only the SHA-256 of a token is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _times(token: AuthToken) -> rules.TokenTimes:
    return rules.TokenTimes(
        token.created_at, token.expires_at, token.last_used_at, token.revoked_at
    )


def issue(
    session: Session,
    user: UserAccount,
    *,
    kind: str,
    now: datetime,
    ttl: timedelta,
    address: str | None,
    name: str | None = None,
    pending_step: str | None = None,
) -> tuple[str, AuthToken]:
    """A new token for the account; the raw value is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    token = AuthToken(
        user_id=user.id,
        kind=kind,
        token_hash=token_hash(raw),
        name=name,
        created_at=now,
        expires_at=now + ttl,
        pending_step=pending_step,
        client_address=address,
    )
    session.add(token)
    session.flush()
    return raw, token


def sign_in(
    session: Session,
    user_id: int,
    *,
    kind: str,
    now: datetime,
    policy: TokenPolicy,
    address: str | None,
    how: str = "password",
) -> tuple[str, AuthToken, UserAccount]:
    """Open a page session or API token for an account whose credentials were checked."""
    user = repository.user_for_update(session, user_id)
    if user is None or not user.active:
        raise Unauthorized(N_("Wrong user name or password."), code="bad_credentials")
    raw, token = issue(session, user, kind=kind, now=now, ttl=policy.ttl(kind), address=address)
    user.last_login_at = now
    audit.record(session, subject_for(user, address), "login", "user", user.id, detail=how, at=now)
    return raw, token, user


def hold_for_second_factor(
    session: Session, user_id: int, *, now: datetime, policy: TokenPolicy, address: str | None
) -> str:
    """A short-lived session that only the second-factor step accepts."""
    user = repository.user_for_update(session, user_id)
    if user is None:
        raise Unauthorized(N_("Wrong user name or password."), code="bad_credentials")
    raw, _ = issue(
        session,
        user,
        kind=SESSION,
        now=now,
        ttl=policy.second_step,
        address=address,
        pending_step=SECOND_FACTOR,
    )
    return raw


def pending(session: Session, raw: str, *, now: datetime) -> Pending | None:
    """The sign-in waiting for its second factor under this token, if it is still running."""
    found = repository.token_with_user(session, token_hash(raw))
    if found is None:
        return None
    token, user, _ = found
    running = token.revoked_at is None and token.expires_at > now and user.active
    if token.pending_step != SECOND_FACTOR or not running:
        return None
    return Pending(token.id, user.id, user.username)


def finish_second_factor(
    session: Session, raw: str, *, now: datetime, policy: TokenPolicy, address: str | None, how: str
) -> tuple[str, AuthToken, UserAccount]:
    """Replace the waiting token by a real session (a new value: no fixation)."""
    held = repository.token_by_hash(session, token_hash(raw))
    if held is None or held.pending_step != SECOND_FACTOR or held.revoked_at is not None:
        raise Unauthorized(N_("Your sign-in took too long. Please log in again."), code="expired")
    held.revoked_at = now
    return sign_in(
        session, held.user_id, kind=SESSION, now=now, policy=policy, address=address, how=how
    )


def authenticate(
    session: Session, raw: str, *, now: datetime, policy: TokenPolicy, address: str | None
) -> Authenticated:
    """Resolve a raw session or API token to its Subject, or raise Unauthorized.

    A working token's last_used_at is written at most once a minute (rules.TOUCH_EVERY).
    """
    found = repository.token_with_user(session, token_hash(raw))
    if found is None:
        raise Unauthorized(N_("Please log in."))
    token, user, enrolled = found
    if token.pending_step is not None:
        raise Unauthorized(N_("Please finish signing in."), code="second_factor_pending")
    times = _times(token)
    state = rules.token_state(times, policy.idle(token.kind), now)
    if state is rules.TokenState.IDLE:
        if token.kind == API:
            raise Unauthorized(
                N_("This API token was not used for %(days)s days and has stopped working."),
                code="idle",
                days=policy.api_idle.days,
            )
        raise Unauthorized(
            N_(
                "Your session ended after %(minutes)s minutes without activity."
                " Please log in again."
            ),
            code="idle",
            minutes=int(policy.session_idle.total_seconds() // 60),
        )
    if state is not rules.TokenState.ACTIVE or not user.active:
        raise Unauthorized(N_("Your session has ended. Please log in again."), code="ended")
    if rules.needs_touch(times, now):
        repository.touch_token(session, token.id, now, now - rules.TOUCH_EVERY)
    return Authenticated(
        subject_for(user, address), token.id, token.kind, enrolled, user.password_must_change
    )


def logout(session: Session, raw: str, *, now: datetime) -> None:
    """Revoke the token presented (idempotent)."""
    token = repository.token_by_hash(session, token_hash(raw))
    if token is not None and token.revoked_at is None:
        token.revoked_at = now


def own_tokens(
    session: Session, subject: Subject, kind: str, *, now: datetime, policy: TokenPolicy
) -> list[AuthToken]:
    """One's own working sessions or API tokens, newest first."""
    if subject.user_id is None:
        return []
    idle = policy.idle(kind)
    return [
        token
        for token in repository.live_tokens(session, subject.user_id, kind, now)
        if rules.token_state(_times(token), idle, now) is rules.TokenState.ACTIVE
    ]


def create_api_token(
    session: Session,
    subject: Subject,
    name: str,
    *,
    now: datetime,
    policy: TokenPolicy,
    address: str | None,
) -> tuple[str, AuthToken]:
    """A named API token for oneself; the raw value is shown once."""
    if subject.user_id is None:
        raise NotFound(N_("Account not found."))
    user = repository.user_for_update(session, subject.user_id)
    if user is None:
        raise NotFound(N_("Account not found."))
    raw, token = issue(
        session, user, kind=API, now=now, ttl=policy.api_ttl, address=address, name=name
    )
    audit.record(session, subject, "create", "api_token", token.id, after={"name": name}, at=now)
    return raw, token


def revoke_own(
    session: Session, subject: Subject, token_id: int, kind: str, *, now: datetime
) -> AuthToken:
    """End one of one's own sessions or API tokens; anyone else's is not found."""
    token = (
        repository.own_token_for_update(session, subject.user_id, token_id)
        if subject.user_id is not None
        else None
    )
    if token is None or token.kind != kind or token.pending_step is not None:
        raise NotFound(N_("No such session or token."))
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(session, subject, "revoke", f"{kind}_token", token.id, at=now)
    return token

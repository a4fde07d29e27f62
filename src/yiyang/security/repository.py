"""Every query of the security domain: accounts, tokens, sign-in counters, second factors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yiyang.security.models import (
    AuthToken,
    FamilyLink,
    LoginThrottle,
    PasswordHistory,
    RecoveryCode,
    TotpCredential,
    UserAccount,
)


def user_by_username(session: Session, username: str) -> UserAccount | None:
    """The account with this exact user name."""
    return session.scalar(select(UserAccount).where(UserAccount.username == username))


def username_taken(session: Session, username: str) -> bool:
    """True when an account already has this user name."""
    return (
        session.scalar(select(UserAccount.id).where(UserAccount.username == username)) is not None
    )


def phones_of_roles(session: Session, roles: Sequence[str]) -> list[str]:
    """The phones of the active accounts of these roles, oldest account first (no blanks)."""
    rows = session.scalars(
        select(UserAccount.phone)
        .where(
            UserAccount.role.in_(list(roles)),
            UserAccount.active.is_(True),
            UserAccount.phone.is_not(None),
            UserAccount.phone != "",
        )
        .order_by(UserAccount.id)
    )
    return [phone for phone in rows if phone]


def first_accounts(session: Session, limit: int) -> list[tuple[str, str]]:
    """User names and roles of the oldest accounts (the demo prints its logins)."""
    rows = session.execute(
        select(UserAccount.username, UserAccount.role).order_by(UserAccount.id).limit(limit)
    )
    return [(username, role) for username, role in rows]


def user_for_update(session: Session, user_id: int) -> UserAccount | None:
    """The account, locked for a change of password or second factor."""
    return session.scalar(
        select(UserAccount)
        .where(UserAccount.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


# Family links ------------------------------------------------------------------------------


def family_links(session: Session, user_id: int) -> list[FamilyLink]:
    """The elders a family account follows, in the order they were linked."""
    return list(
        session.scalars(
            select(FamilyLink).where(FamilyLink.user_id == user_id).order_by(FamilyLink.id)
        )
    )


def family_link(session: Session, user_id: int, elder_id: int) -> FamilyLink | None:
    """The link of this account to this elder, if it follows them."""
    return session.scalar(
        select(FamilyLink).where(FamilyLink.user_id == user_id, FamilyLink.elder_id == elder_id)
    )


def followers_of(session: Session, elder_id: int) -> list[tuple[FamilyLink, UserAccount]]:
    """The family accounts that follow this elder, with their accounts, in linking order."""
    rows = session.execute(
        select(FamilyLink, UserAccount)
        .join(UserAccount, UserAccount.id == FamilyLink.user_id)
        .where(FamilyLink.elder_id == elder_id)
        .order_by(FamilyLink.id)
    )
    return list(rows.tuples())


# Tokens ------------------------------------------------------------------------------------


def token_with_user(
    session: Session, token_hash: str
) -> tuple[AuthToken, UserAccount, bool] | None:
    """A token by its hash, its account, and whether the account has a confirmed second factor."""
    enrolled = (
        select(TotpCredential.id)
        .where(TotpCredential.user_id == UserAccount.id, TotpCredential.confirmed_at.is_not(None))
        .exists()
    )
    row = session.execute(
        select(AuthToken, UserAccount, enrolled)
        .join(UserAccount, UserAccount.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_hash)
    ).first()
    return (row[0], row[1], bool(row[2])) if row else None


def token_by_hash(session: Session, token_hash: str) -> AuthToken | None:
    """A token by its hash, locked so that it is revoked or replaced once."""
    return session.scalar(
        select(AuthToken)
        .where(AuthToken.token_hash == token_hash)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def touch_token(session: Session, token_id: int, now: datetime, stale_before: datetime) -> None:
    """Write last_used_at when it is at or before stale_before; skip it while another request
    holds the row, so that parallel requests of one session never wait on each other."""
    claimable = (
        select(AuthToken.id)
        .where(
            AuthToken.id == token_id,
            or_(AuthToken.last_used_at.is_(None), AuthToken.last_used_at <= stale_before),
        )
        .with_for_update(skip_locked=True)
    )
    session.execute(
        update(AuthToken)
        .where(AuthToken.id.in_(claimable.scalar_subquery()))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def live_tokens(session: Session, user_id: int, kind: str, now: datetime) -> Sequence[AuthToken]:
    """An account's tokens of one kind that are neither revoked nor expired, newest first."""
    return session.scalars(
        select(AuthToken)
        .where(
            AuthToken.user_id == user_id,
            AuthToken.kind == kind,
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > now,
            AuthToken.pending_step.is_(None),
        )
        .order_by(AuthToken.created_at.desc(), AuthToken.id.desc())
    ).all()


def own_token_for_update(session: Session, user_id: int, token_id: int) -> AuthToken | None:
    """One of the account's own tokens, locked; another account's is not found."""
    return session.scalar(
        select(AuthToken)
        .where(AuthToken.id == token_id, AuthToken.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def revoke_tokens(
    session: Session, user_id: int, now: datetime, *, keep_id: int | None = None
) -> None:
    """Revoke every unrevoked token of the account, except keep_id."""
    stmt = update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    if keep_id is not None:
        stmt = stmt.where(AuthToken.id != keep_id)
    session.execute(stmt.values(revoked_at=now).execution_options(synchronize_session=False))


# Sign-in counters --------------------------------------------------------------------------


def lock_counters(session: Session, keys: Sequence[str], now: datetime) -> list[LoginThrottle]:
    """The counters of these keys, created when missing and row-locked in key order.

    Locking in one order means two attempts that share a key never deadlock; the insert
    that ignores conflicts means two first attempts never fail on the primary key.
    """
    ordered = sorted(set(keys))
    rows = [{"key": key, "attempts": 0, "failures": 0, "updated_at": now} for key in ordered]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(LoginThrottle).values(rows).on_conflict_do_nothing())
    return list(
        session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.key.in_(ordered))
            .order_by(LoginThrottle.key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def counter(session: Session, key: str) -> LoginThrottle | None:
    """One key's counter as committed."""
    return session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .execution_options(populate_existing=True)
    )


# Password history --------------------------------------------------------------------------


def recent_password_hashes(session: Session, user_id: int, count: int) -> list[str]:
    """The hashes of the account's last `count` passwords, newest first."""
    return list(
        session.scalars(
            select(PasswordHistory.password_hash)
            .where(PasswordHistory.user_id == user_id)
            .order_by(PasswordHistory.set_at.desc(), PasswordHistory.id.desc())
            .limit(count)
        )
    )


def prune_password_history(session: Session, user_id: int, keep: int) -> None:
    """Forget all but the newest `keep` password hashes of the account."""
    kept = (
        select(PasswordHistory.id)
        .where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.set_at.desc(), PasswordHistory.id.desc())
        .limit(keep)
    )
    session.execute(
        delete(PasswordHistory)
        .where(
            PasswordHistory.user_id == user_id, PasswordHistory.id.not_in(kept.scalar_subquery())
        )
        .execution_options(synchronize_session=False)
    )


# Second factor -----------------------------------------------------------------------------


def totp_of(session: Session, user_id: int, *, lock: bool = False) -> TotpCredential | None:
    """The account's authenticator key (confirmed or not), locked when about to change."""
    stmt = select(TotpCredential).where(TotpCredential.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.scalar(stmt)


def unused_recovery_code(session: Session, user_id: int, code_hash: str) -> RecoveryCode | None:
    """The account's unused recovery code with this hash, locked so that it is used once."""
    return session.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def unused_recovery_codes(session: Session, user_id: int) -> int:
    """How many recovery codes the account has left."""
    return (
        session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def forget_recovery_codes(session: Session, user_id: int) -> None:
    """Delete the account's recovery codes, used or not."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def forget_second_factor(session: Session, user_id: int) -> None:
    """Delete the account's authenticator key and recovery codes."""
    forget_recovery_codes(session, user_id)
    session.execute(delete(TotpCredential).where(TotpCredential.user_id == user_id))


def forget_idle_counters(session: Session, before: datetime, now: datetime) -> int:
    """Delete sign-in counters untouched since `before` that hold no lock; how many went.

    Anyone can make a counter by typing a name, so without this the table only grows.
    """
    gone = session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.updated_at < before,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def forget_ended_tokens(session: Session, before: datetime) -> int:
    """Delete sessions and API tokens that expired or were revoked before `before`."""
    gone = session.execute(
        delete(AuthToken).where(or_(AuthToken.expires_at < before, AuthToken.revoked_at < before))
    )
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]

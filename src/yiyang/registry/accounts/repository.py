"""Every query on accounts as an administrator reads them: who, which role, bound to what,
and whether the person can sign in now (deactivated, locked out, on a temporary password)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import cast

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import SearchText
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff
from yiyang.security.models import LoginThrottle, TotpCredential, UserAccount
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.security.throttle import ACCOUNT


class AccountState(StrEnum):
    """What keeps a person from signing in, as the list filters it."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    LOCKED = "locked"
    MUST_CHANGE = "must_change"


class AccountFilter(BaseModel):
    """The account list's filters: a name, a role, a state."""

    q: SearchText | None = Field(default=None, max_length=64)
    role: Role | None = None
    state: AccountState | None = None


@dataclass(frozen=True)
class AccountView:
    """One account with the names of what it is bound to, in words for the page."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    must_change: bool
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None
    second_factor: bool
    area_name: str | None
    provider_id: int | None
    provider_name: str | None
    staff_id: int | None
    staff_name: str | None
    elder_id: int | None
    elder_name: str | None


Row = tuple[UserAccount, str | None, str | None, str | None, str | None, datetime | None, bool]


def _rows(now: datetime) -> Select[Row]:
    """Accounts joined to the names of their bindings and to their sign-in lock."""
    lock = LoginThrottle.key == literal(ACCOUNT) + func.lower(UserAccount.username)
    enrolled = exists().where(
        TotpCredential.user_id == UserAccount.id, TotpCredential.confirmed_at.is_not(None)
    )
    stmt = (
        select(
            UserAccount, Area.name, Provider.name, Staff.name, Elder.name,
            LoginThrottle.locked_until, enrolled.label("second_factor"),
        )
        .outerjoin(Area, Area.id == UserAccount.area_id)
        .outerjoin(Provider, Provider.id == UserAccount.provider_id)
        .outerjoin(Staff, Staff.id == UserAccount.staff_id)
        .outerjoin(Elder, Elder.id == UserAccount.elder_id)
        .outerjoin(LoginThrottle, and_(lock, LoginThrottle.locked_until > now))
    )  # fmt: skip
    return cast("Select[Row]", stmt)  # the outer joins' names may be None


def _view(row: Row) -> AccountView:
    user, area, provider, staff, elder, locked_until, second_factor = row
    return AccountView(
        id=user.id, username=user.username, display_name=user.display_name,
        role=Role(user.role), active=user.active, must_change=user.password_must_change,
        created_at=user.created_at, last_login_at=user.last_login_at,
        locked_until=locked_until, second_factor=bool(second_factor),
        area_name=area, provider_id=user.provider_id, provider_name=provider,
        staff_id=user.staff_id, staff_name=staff, elder_id=user.elder_id, elder_name=elder,
    )  # fmt: skip


def _filtered(stmt: Select[Row], flt: AccountFilter) -> Select[Row]:
    if flt.q:
        stmt = stmt.where(
            or_(
                UserAccount.username.contains(flt.q, autoescape=True),
                UserAccount.display_name.contains(flt.q, autoescape=True),
            )
        )
    if flt.role is not None:
        stmt = stmt.where(UserAccount.role == str(flt.role))
    if flt.state is AccountState.ACTIVE:
        stmt = stmt.where(UserAccount.active.is_(True))
    elif flt.state is AccountState.INACTIVE:
        stmt = stmt.where(UserAccount.active.is_(False))
    elif flt.state is AccountState.LOCKED:
        stmt = stmt.where(LoginThrottle.key.is_not(None))
    elif flt.state is AccountState.MUST_CHANGE:
        stmt = stmt.where(UserAccount.password_must_change.is_(True))
    return stmt


def list_accounts(
    session: Session, actor: Subject, flt: AccountFilter, params: PageParams, *, now: datetime
) -> Page[AccountView]:
    """A page of accounts by user name (district administrators only)."""
    actor.require(Perm.USER_MANAGE)
    stmt = _filtered(_rows(now), flt)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.order_by(UserAccount.username).offset(params.offset).limit(params.size)
    ).all()
    return Page[AccountView](
        items=[_view(r._tuple()) for r in rows], total=total, page=params.page, size=params.size
    )


def read_account(session: Session, actor: Subject, user_id: int, *, now: datetime) -> AccountView:
    """One account (district administrators only), or NotFound."""
    actor.require(Perm.USER_MANAGE)
    row = session.execute(_rows(now).where(UserAccount.id == user_id)).first()
    if row is None:
        raise NotFound(N_("Account %(id)s not found."), id=user_id)
    return _view(row._tuple())

"""JSON routes for accounts (district administrators): create one bound to the registry, list
them, and the help-desk actions of the accounts pages (deactivate, reactivate, a temporary
password, lift a lock-out, remove a lost second factor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from yiyang.config import Settings
from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import LongText, RowId
from yiyang.registry.accounts import family, repository, service
from yiyang.registry.accounts.repository import AccountFilter, AccountView
from yiyang.security import administration
from yiyang.security import repository as security_repository
from yiyang.security.passwords import PasswordPolicy
from yiyang.security.roles import Perm
from yiyang.security.schemas import FamilyLinkBody, FamilyLinkRead, UserCreate, UserRead
from yiyang.web.deps import ApiSubject, DbSession, get_locale, get_settings_dep

router = APIRouter(tags=["auth"], dependencies=[Depends(get_locale)])


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(
    db: DbSession,
    subject: ApiSubject,
    body: UserCreate,
    settings: Annotated[Settings, Depends(get_settings_dep)],
) -> UserRead:
    """Create an account (district administrators); the password must meet the policy."""
    user = service.create_account(
        db,
        subject,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        role=body.role,
        area_code=body.area_code,
        provider_id=body.provider_id,
        staff_id=body.staff_id,
        elder_id=body.elder_id,
        policy=PasswordPolicy.of(settings),
    )
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=body.role,
        active=user.active,
    )


def _links(db: DbSession, user_id: int) -> list[FamilyLinkRead]:
    user = family.family_account(db, user_id)
    return [
        FamilyLinkRead(elder_id=link.elder_id, relationship=link.relationship,
                       linked_at=link.linked_at, current=link.elder_id == user.elder_id)
        for link in security_repository.family_links(db, user.id)
    ]  # fmt: skip


@router.get("/users/{user_id}/elders", response_model=list[FamilyLinkRead])
def family_elders(db: DbSession, subject: ApiSubject, user_id: RowId) -> list[FamilyLinkRead]:
    """The elders a family account follows (district administrators)."""
    subject.require(Perm.USER_MANAGE)
    return _links(db, user_id)


@router.put("/users/{user_id}/elders/{elder_id}", response_model=list[FamilyLinkRead])
def follow_elder(
    request: Request, db: DbSession, subject: ApiSubject, user_id: RowId, elder_id: RowId,
    body: FamilyLinkBody,
) -> list[FamilyLinkRead]:  # fmt: skip
    """The family account follows this elder too (again: the relationship is updated)."""
    family.link_elder(db, subject, user_id, elder_id, relationship=body.relationship,
                      now=request.app.state.clock())  # fmt: skip
    return _links(db, user_id)


@router.delete("/users/{user_id}/elders/{elder_id}", status_code=204)
def unfollow_elder(
    request: Request, db: DbSession, subject: ApiSubject, user_id: RowId, elder_id: RowId
) -> Response:
    """The family account stops following this elder."""
    family.unlink_elder(db, subject, user_id, elder_id, now=request.app.state.clock())
    return Response(status_code=204)


class DeactivateBody(BaseModel):
    """Why the account is deactivated (kept in the audit trail)."""

    reason: LongText = Field(min_length=1, max_length=administration.REASON_MAX)


class TemporaryPassword(BaseModel):
    """A temporary password, returned once: the person replaces it at the next sign-in."""

    temporary_password: str


class Unlocked(BaseModel):
    """Whether a sign-in lock was running when it was lifted."""

    unlocked: bool


@router.get("/users", response_model=Page[AccountView])
def list_users(
    request: Request, db: DbSession, subject: ApiSubject,
    flt: Annotated[AccountFilter, Depends()], params: Annotated[PageParams, Depends()],
) -> Page[AccountView]:  # fmt: skip
    """Every account by user name, with its binding and whether it can sign in now."""
    return repository.list_accounts(db, subject, flt, params, now=request.app.state.clock())


@router.get("/users/{user_id}", response_model=AccountView)
def read_user(request: Request, db: DbSession, subject: ApiSubject, user_id: RowId) -> AccountView:
    """One account."""
    return repository.read_account(db, subject, user_id, now=request.app.state.clock())


@router.post("/users/{user_id}/deactivate", response_model=AccountView)
def deactivate_user(
    request: Request, db: DbSession, subject: ApiSubject, user_id: RowId, body: DeactivateBody
) -> AccountView:
    """Nobody signs in to the account any more; its sessions and API tokens end at once."""
    now = request.app.state.clock()
    administration.deactivate(db, subject, user_id, reason=body.reason, now=now)
    return repository.read_account(db, subject, user_id, now=now)


@router.post("/users/{user_id}/reactivate", response_model=AccountView)
def reactivate_user(
    request: Request, db: DbSession, subject: ApiSubject, user_id: RowId
) -> AccountView:
    """The account may sign in again, with the password it had."""
    now = request.app.state.clock()
    administration.reactivate(db, subject, user_id, now=now)
    return repository.read_account(db, subject, user_id, now=now)


@router.post("/users/{user_id}/password-reset", response_model=TemporaryPassword)
def reset_user_password(
    request: Request, db: DbSession, subject: ApiSubject, user_id: RowId,
    settings: Annotated[Settings, Depends(get_settings_dep)], response: Response,
) -> TemporaryPassword:  # fmt: skip
    """A temporary password (shown once; sessions end, a running lock is lifted)."""
    response.headers["Cache-Control"] = "no-store"
    password = administration.reset_password(
        db, subject, user_id, now=request.app.state.clock(), policy=PasswordPolicy.of(settings)
    )
    return TemporaryPassword(temporary_password=password)


@router.post("/users/{user_id}/unlock", response_model=Unlocked)
def unlock_user(request: Request, db: DbSession, subject: ApiSubject, user_id: RowId) -> Unlocked:
    """Forget the failed sign-ins that locked the account."""
    return Unlocked(
        unlocked=administration.lift_lock(db, subject, user_id, now=request.app.state.clock())
    )


@router.delete("/users/{user_id}/second-factor", status_code=204)
def remove_user_second_factor(
    request: Request, db: DbSession, subject: ApiSubject, user_id: RowId
) -> Response:
    """The authenticator and its recovery codes stop working; the sessions end."""
    administration.remove_second_factor(db, subject, user_id, now=request.app.state.clock())
    return Response(status_code=204)

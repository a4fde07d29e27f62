"""JSON route to create an account bound to the registry (district administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from yiyang.config import Settings
from yiyang.kit.types import RowId
from yiyang.registry.accounts import family, service
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

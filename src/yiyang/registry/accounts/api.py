"""JSON route to create an account bound to the registry (district administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from yiyang.config import Settings
from yiyang.registry.accounts import service
from yiyang.security.passwords import PasswordPolicy
from yiyang.security.schemas import UserCreate, UserRead
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

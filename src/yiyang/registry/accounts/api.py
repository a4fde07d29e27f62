"""JSON route to create an account bound to the registry (district administrators)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from yiyang.registry.accounts import service
from yiyang.security.schemas import UserCreate, UserRead
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(tags=["auth"], dependencies=[Depends(get_locale)])


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(db: DbSession, subject: ApiSubject, body: UserCreate) -> UserRead:
    """Create an account (district administrators)."""
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
    )
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=body.role,
        active=user.active,
    )

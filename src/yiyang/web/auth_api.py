"""JSON routes: token login, logout, who am I, password change."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response

from yiyang.security import service
from yiyang.security.schemas import (
    Me,
    PasswordChange,
    TokenRequest,
    TokenResponse,
)
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(tags=["auth"], dependencies=[Depends(get_locale)])


@router.post("/auth/token", response_model=TokenResponse)
def issue_token(request: Request, db: DbSession, body: TokenRequest) -> TokenResponse:
    """Exchange a user name and password for a bearer token."""
    now = request.app.state.clock()
    ttl = timedelta(days=request.app.state.settings.api_token_days)
    ip = request.client.host if request.client else None
    raw, _ = service.login(db, body.username, body.password, now=now, ttl=ttl, ip=ip, kind="api")
    return TokenResponse(access_token=raw, expires_at=now + ttl)


@router.post("/auth/logout", status_code=204)
def revoke_token(request: Request, db: DbSession, subject: ApiSubject) -> Response:
    """Revoke the bearer token used for this request."""
    raw = request.headers.get("authorization", "").partition(" ")[2].strip()
    if raw:
        service.logout(db, raw, now=request.app.state.clock())
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def me(subject: ApiSubject) -> Me:
    """The caller, their role, scope and permissions."""
    return Me(
        user_id=subject.user_id,
        username=subject.username,
        display_name=subject.display_name,
        role=subject.role,
        street_id=subject.street_id,
        community_id=subject.community_id,
        provider_id=subject.provider_id,
        staff_id=subject.staff_id,
        elder_id=subject.elder_id,
        permissions=sorted(str(p) for p in subject.permissions),
    )


@router.post("/me/password", status_code=204)
def change_password(
    request: Request, db: DbSession, subject: ApiSubject, body: PasswordChange
) -> Response:
    """Change one's own password; every session of the account ends."""
    service.change_password(
        db, subject, body.current_password, body.new_password, now=request.app.state.clock()
    )
    return Response(status_code=204)

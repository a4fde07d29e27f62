"""JSON routes: token login (with its second factor), logout, who am I, password, own tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy.orm import Session

from yiyang.errors import N_, Forbidden, Unauthorized
from yiyang.security import login, service, sessions
from yiyang.security.login import SecondFactor
from yiyang.security.models import AuthToken
from yiyang.security.passwords import PasswordPolicy
from yiyang.security.schemas import (
    Me,
    PasswordChange,
    TokenCreate,
    TokenCreated,
    TokenRead,
    TokenRequest,
    TokenResponse,
)
from yiyang.security.subject import Subject
from yiyang.web.deps import (
    ApiSubject,
    DbSession,
    SideSessions,
    client_address,
    get_locale,
    second_factor_roles,
    token_policy,
)
from yiyang.web.login_guard import guarded

router = APIRouter(tags=["auth"], dependencies=[Depends(get_locale)])

TokenId = Annotated[int, Path(ge=1, le=2**63 - 1)]
_ERROR = {"description": "The error, with a `code` and a translated `message`"}
TOKEN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "description": (
            "`bad_credentials` (wrong user name or password), `bad_code` (wrong, expired or"
            " reused `otp`) or `otp_required` (the account signs in with a second factor:"
            " send `otp` too)"
        )
    },
    403: {
        "description": (
            "`second_factor_setup_required`: the role must sign in with a second factor that"
            " the account has not set up yet (on the web page Account → Two-factor sign-in)"
        )
    },
    429: {
        "description": (
            "`rate_limited` (too many attempts this minute) or `locked` (too many failed"
            " sign-ins of this account or from this address); the `Retry-After` header gives"
            " the seconds to wait, the message the local time"
        ),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}},
    },
}


@router.post("/auth/token", response_model=TokenResponse, responses=TOKEN_RESPONSES)
def issue_token(
    request: Request, db: DbSession, side: SideSessions, body: TokenRequest
) -> TokenResponse:
    """Exchange a user name and password (and `otp` when the account has a second factor)
    for a bearer token. Attempts are limited per account and per client address."""
    now, address = request.app.state.clock(), client_address(request)
    roles = second_factor_roles(request)
    verified = guarded(
        request,
        side,
        body.username,
        lambda s: login.check_password_and_code(
            s, body.username, body.password, body.otp,
            required_roles=roles, now=now, address=address,
        ),
    )  # fmt: skip
    if verified.second_factor is SecondFactor.OWED:
        raise Unauthorized(
            N_("This account signs in with a second factor: send the code of its app as otp."),
            code="otp_required",
        )
    if verified.second_factor is SecondFactor.ENROL:
        raise Forbidden(
            N_("Your role must sign in with a second factor: set it up on the web page first."),
            code="second_factor_setup_required",
        )
    policy = token_policy(request)
    raw, token, _ = sessions.sign_in(
        db, verified.user_id, kind=sessions.API, now=now, policy=policy, address=address,
        how=verified.how,
    )  # fmt: skip
    return TokenResponse(access_token=raw, expires_at=token.expires_at)


@router.post("/auth/logout", status_code=204)
def revoke_token(request: Request, db: DbSession, subject: ApiSubject) -> Response:
    """Revoke the bearer token used for this request."""
    raw = request.headers.get("authorization", "").partition(" ")[2].strip()
    if raw:
        sessions.logout(db, raw, now=request.app.state.clock())
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
    """Change one's own password (length, common passwords, names, the last few refused);
    every session of the account ends."""
    service.change_password(
        db,
        subject,
        body.current_password,
        body.new_password,
        now=request.app.state.clock(),
        policy=PasswordPolicy.of(request.app.state.settings),
    )
    return Response(status_code=204)


def token_read(token: AuthToken, current_id: int | None) -> TokenRead:
    """A token as its owner sees it: never its value."""
    return TokenRead(
        id=token.id,
        kind=token.kind,
        name=token.name,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        expires_at=token.expires_at,
        client_address=token.client_address,
        current=token.id == current_id,
    )


def _own(request: Request, db: Session, subject: Subject, kind: str) -> list[TokenRead]:
    now, current = request.app.state.clock(), getattr(request.state, "token_id", None)
    tokens = sessions.own_tokens(db, subject, kind, now=now, policy=token_policy(request))
    return [token_read(t, current) for t in tokens]


@router.get("/me/tokens", response_model=list[TokenRead])
def list_tokens(request: Request, db: DbSession, subject: ApiSubject) -> list[TokenRead]:
    """One's own working API tokens, newest first."""
    return _own(request, db, subject, sessions.API)


@router.post("/me/tokens", response_model=TokenCreated, status_code=201)
def create_token(
    request: Request, db: DbSession, subject: ApiSubject, body: TokenCreate
) -> TokenCreated:
    """A named API token for oneself; its value is in this answer only."""
    raw, token = sessions.create_api_token(
        db,
        subject,
        body.name,
        now=request.app.state.clock(),
        policy=token_policy(request),
        address=client_address(request),
    )
    return TokenCreated(id=token.id, name=body.name, access_token=raw, expires_at=token.expires_at)


@router.delete("/me/tokens/{token_id}", status_code=204, responses={404: _ERROR})
def revoke_own_token(
    request: Request, db: DbSession, subject: ApiSubject, token_id: TokenId
) -> Response:
    """Revoke one of one's own API tokens."""
    sessions.revoke_own(db, subject, token_id, sessions.API, now=request.app.state.clock())
    return Response(status_code=204)


@router.get("/me/sessions", response_model=list[TokenRead])
def list_sessions(request: Request, db: DbSession, subject: ApiSubject) -> list[TokenRead]:
    """One's own open page sessions, newest first."""
    return _own(request, db, subject, sessions.SESSION)


@router.delete("/me/sessions/{session_id}", status_code=204, responses={404: _ERROR})
def end_own_session(
    request: Request, db: DbSession, subject: ApiSubject, session_id: TokenId
) -> Response:
    """End one of one's own page sessions (on another device, say)."""
    sessions.revoke_own(db, subject, session_id, sessions.SESSION, now=request.app.state.clock())
    return Response(status_code=204)

"""The account page of one's own sessions and API tokens: list, create a named one, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiyang.errors import N_, DomainError, Invalid
from yiyang.kit.localtime import local_text
from yiyang.kit.types import RowId
from yiyang.security import sessions
from yiyang.security.schemas import TokenCreate
from yiyang.security.subject import Subject
from yiyang.web.deps import (
    SESSION_COOKIE,
    DbSession,
    Locale,
    PageSubject,
    client_address,
    get_locale,
    token_policy,
)
from yiyang.web.errors import error_payload
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
PAGE = "/account/tokens"
TokenId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def local_time(value: datetime | None) -> str:
    """A stored UTC instant as people here read it: local date and minute."""
    return local_text(value)


def _page(
    request: Request,
    db: Session,
    subject: Subject,
    *,
    created: tuple[str, str] | None = None,
    error: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now, policy = request.app.state.clock(), token_policy(request)
    return render(
        request,
        "account/tokens.html",
        {
            "api_tokens": sessions.own_tokens(db, subject, sessions.API, now=now, policy=policy),
            "page_sessions": sessions.own_tokens(
                db, subject, sessions.SESSION, now=now, policy=policy
            ),
            "current_id": getattr(request.state, "token_id", None),
            "local_time": local_time,
            "created": created,
            "error": error,
            "idle_minutes": int(policy.session_idle.total_seconds() // 60),
            "api_days": policy.api_ttl.days,
            "api_idle_days": policy.api_idle.days,
        },
        status_code=status_code,
    )


@router.get(PAGE, response_class=HTMLResponse)
def tokens_page(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """One's API tokens and open page sessions."""
    return _page(request, db, subject)


@router.post(PAGE, response_class=HTMLResponse)
def create_token(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    name: Annotated[str, Form(max_length=256)] = "",
) -> HTMLResponse:
    """Create a named API token and show its value this once."""
    try:
        body = TokenCreate(name=name)
    except ValidationError:
        exc = Invalid(N_("Give the token a name of 1 to 64 characters."), field="name")
        return _page(
            request, db, subject, error=error_payload(locale, exc)["error"], status_code=422
        )
    raw, _ = sessions.create_api_token(
        db,
        subject,
        body.name,
        now=request.app.state.clock(),
        policy=token_policy(request),
        address=client_address(request),
    )
    return _page(request, db, subject, created=(body.name, raw))


@router.post(PAGE + "/{token_id}/revoke", response_model=None)
def revoke_token(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, token_id: TokenId
) -> Response:
    """Revoke one of one's API tokens."""
    return _revoke(request, db, subject, locale, token_id, sessions.API)


@router.post("/account/sessions/{token_id}/end", response_model=None)
def end_session(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, token_id: TokenId
) -> Response:
    """End one of one's page sessions; ending this very one logs out."""
    response = _revoke(request, db, subject, locale, token_id, sessions.SESSION)
    if token_id == getattr(request.state, "token_id", None):
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
    return response


def _revoke(
    request: Request, db: Session, subject: Subject, locale: str, token_id: RowId, kind: str
) -> Response:
    try:
        sessions.revoke_own(db, subject, token_id, kind, now=request.app.state.clock())
    except DomainError as exc:
        return _page(
            request,
            db,
            subject,
            error=error_payload(locale, exc)["error"],
            status_code=exc.status_code,
        )
    return RedirectResponse(PAGE, status_code=303)

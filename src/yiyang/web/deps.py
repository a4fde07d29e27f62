"""Request dependencies: one session per request, the caller's Subject, the locale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yiyang.config import Settings
from yiyang.errors import N_, Forbidden, Unauthorized
from yiyang.kit.clock import Clock
from yiyang.security import service as security_service
from yiyang.security.subject import Subject
from yiyang.web.csrf import csrf_valid
from yiyang.web.i18n import negotiate

SESSION_COOKIE = "yiyang_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """A page needs a logged-in user; the handler redirects to the login page."""


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    """The app's clock (tests replace it)."""
    clock: Clock = request.app.state.clock
    return clock


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db, scope="function")]


def get_locale(request: Request) -> str:
    """The negotiated locale of this request."""
    locale: str = negotiate(request, request.app.state.settings.default_locale)
    request.state.locale = locale
    return locale


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def api_subject(request: Request, db: DbSession) -> Subject:
    """The caller of an API route: bearer token, or the session cookie plus a CSRF header."""
    now = request.app.state.clock()
    raw = _bearer(request)
    by_cookie = raw is None
    if raw is None:
        raw = request.cookies.get(SESSION_COOKIE)
        if raw is None:
            raise Unauthorized(N_("Please log in."))
    subject = security_service.authenticate(db, raw, now=now, ip=_client_ip(request))
    request.state.subject = subject  # known before a refusal, so that it is audited
    if (
        by_cookie
        and request.method not in SAFE_METHODS
        and not csrf_valid(request.app.state.secret_key, raw, request.headers.get("x-csrf-token"))
    ):
        raise Forbidden(N_("Missing or wrong CSRF token."), code="csrf")
    return subject


async def form_csrf(request: Request) -> str | None:
    """The CSRF token of a posted form, read before the page's own form parameters."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if "form" not in content_type:
        return None
    form = await request.form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else None


async def form_data(request: Request) -> FormData:
    """The posted form, read on the event loop so that the handler itself can be a plain def."""
    return await request.form()


def page_subject(
    request: Request, db: DbSession, presented: Annotated[str | None, Depends(form_csrf)]
) -> Subject:
    """The caller of an HTML page; unauthenticated callers are sent to the login page."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw is None:
        raise LoginRequired()
    try:
        subject = security_service.authenticate(
            db, raw, now=request.app.state.clock(), ip=_client_ip(request)
        )
    except Unauthorized as exc:
        raise LoginRequired() from exc
    request.state.subject = subject  # known before a refusal, so that it is audited
    if request.method not in SAFE_METHODS and not csrf_valid(
        request.app.state.secret_key, raw, presented
    ):
        raise Forbidden(N_("Missing or wrong CSRF token."), code="csrf")
    request.state.session_token = raw
    return subject


ApiSubject = Annotated[Subject, Depends(api_subject)]
PageSubject = Annotated[Subject, Depends(page_subject)]
Locale = Annotated[str, Depends(get_locale)]
FormBody = Annotated[FormData, Depends(form_data)]

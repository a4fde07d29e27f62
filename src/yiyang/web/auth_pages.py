"""HTML pages: login, logout, password change, language switch."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.errors import DomainError
from yiyang.security import service
from yiyang.web.deps import SESSION_COOKIE, DbSession, Locale, PageSubject, get_locale
from yiyang.web.errors import error_payload
from yiyang.web.i18n import LOCALE_COOKIE, normalise
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, locale: Locale, next: str = "/") -> HTMLResponse:
    """The login page."""
    return render(request, "auth/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_model=None)
def login_submit(
    request: Request,
    db: DbSession,
    locale: Locale,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials, set the session cookie and go where the user was heading."""
    settings = request.app.state.settings
    ttl = timedelta(hours=settings.session_hours)
    ip = request.client.host if request.client else None
    try:
        raw, user = service.login(
            db, username, password, now=request.app.state.clock(), ttl=ttl, ip=ip
        )
    except DomainError as exc:
        # The failed attempt is audited: keep that row although the login failed.
        db.commit()
        return render(
            request,
            "auth/login.html",
            {
                "next": _safe_next(next),
                "error": error_payload(locale, exc)["error"],
                "username": username,
            },
            status_code=exc.status_code,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    if user.locale:
        response.set_cookie(LOCALE_COOKIE, user.locale, max_age=365 * 86400, samesite="lax")
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, subject: PageSubject) -> Response:
    """End the session and return to the login page."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        service.logout(db, raw, now=request.app.state.clock())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the chosen language in a cookie and go back."""
    locale = normalise(code) or request.app.state.settings.default_locale
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, subject: PageSubject) -> HTMLResponse:
    """The password change form."""
    return render(request, "auth/password.html", {"error": None, "done": False})


@router.post("/account/password", response_model=None)
def password_submit(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
) -> Response:
    """Change the password; all sessions end, so the user logs in again."""
    try:
        service.change_password(
            db, subject, current_password, new_password, now=request.app.state.clock()
        )
    except DomainError as exc:
        return render(
            request,
            "auth/password.html",
            {"error": error_payload(locale, exc)["error"], "done": False},
            status_code=exc.status_code,
        )
    response = RedirectResponse("/login?changed=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response

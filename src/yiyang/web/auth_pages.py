"""HTML pages: login with its second-factor step, logout, password change, language switch."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.db import unit_of_work
from yiyang.errors import DomainError
from yiyang.security import login, service, sessions
from yiyang.security.login import SecondFactor, Verified
from yiyang.security.models import UserAccount
from yiyang.security.passwords import PasswordPolicy
from yiyang.web.deps import (
    SESSION_COOKIE,
    ChangingPasswordSubject,
    DbSession,
    Locale,
    SettingUpSubject,
    SideSessions,
    client_address,
    get_locale,
    second_factor_roles,
    token_policy,
)
from yiyang.web.errors import error_payload
from yiyang.web.i18n import LOCALE_COOKIE, normalise
from yiyang.web.login_guard import SETUP_PATH, guarded, retry_headers
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
CODE_PATH = "/login/code"


def safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _with_next(path: str, target: str) -> str:
    return path if target == "/" else f"{path}?next={quote(target, safe='/')}"


def _session_cookie(request: Request, response: Response, raw: str, ttl: timedelta) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
    )


def _signed_in(request: Request, raw: str, user: UserAccount, target: str) -> Response:
    """Go on with the new session cookie, in the account's own language if it has one."""
    response = RedirectResponse(target, status_code=303)
    _session_cookie(request, response, raw, token_policy(request).session_ttl)
    if user.locale:
        response.set_cookie(LOCALE_COOKIE, user.locale, max_age=365 * 86400, samesite="lax")
    return response


def _refused(
    request: Request, locale: str, template: str, exc: DomainError, context: Mapping[str, object]
) -> HTMLResponse:
    """The form again with the error in words (and Retry-After when the attempt was refused)."""
    return render(
        request,
        template,
        {**context, "error": error_payload(locale, exc)["error"]},
        status_code=exc.status_code,
        headers=retry_headers(exc),
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, locale: Locale, next: str = "/") -> HTMLResponse:
    """The login page."""
    return render(request, "auth/login.html", {"next": safe_next(next), "error": None})


@router.post("/login", response_model=None)
def login_submit(
    request: Request,
    db: DbSession,
    side: SideSessions,
    locale: Locale,
    username: Annotated[str, Form(max_length=256)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Check the password; then the second-factor step, its set-up, or where the user was going."""
    target = safe_next(next)
    roles = second_factor_roles(request)
    try:
        verified = guarded(
            request,
            side,
            username,
            lambda s: login.check_password(s, username, password, required_roles=roles),
        )
    except DomainError as exc:
        context = {"next": target, "username": username}
        return _refused(request, locale, "auth/login.html", exc, context)
    policy, now, address = token_policy(request), request.app.state.clock(), client_address(request)
    if verified.second_factor is SecondFactor.OWED:
        raw = sessions.hold_for_second_factor(
            db, verified.user_id, now=now, policy=policy, address=address
        )
        response = RedirectResponse(_with_next(CODE_PATH, target), status_code=303)
        _session_cookie(request, response, raw, policy.second_step)
        return response
    raw, _, user = sessions.sign_in(
        db, verified.user_id, kind=sessions.SESSION, now=now, policy=policy, address=address
    )
    setting_up = verified.second_factor is SecondFactor.ENROL
    return _signed_in(request, raw, user, _with_next(SETUP_PATH, target) if setting_up else target)


@router.get(CODE_PATH, response_class=HTMLResponse, response_model=None)
def code_form(request: Request, db: DbSession, locale: Locale, next: str = "/") -> Response:
    """The second step: the code of the authenticator app, or a recovery code."""
    raw = request.cookies.get(SESSION_COOKIE)
    held = sessions.pending(db, raw, now=request.app.state.clock()) if raw else None
    if held is None:
        return RedirectResponse(_with_next("/login", safe_next(next)), status_code=303)
    return render(request, "auth/code.html", {"next": safe_next(next), "error": None})


@router.post(CODE_PATH, response_model=None)
def code_submit(
    request: Request,
    db: DbSession,
    side: SideSessions,
    locale: Locale,
    code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Accept the code (once) and replace the waiting token by a real session."""
    target = safe_next(next)
    raw = request.cookies.get(SESSION_COOKIE) or ""
    now, address = request.app.state.clock(), client_address(request)
    with unit_of_work(side) as s:  # before the request's own session touches the database
        held = sessions.pending(s, raw, now=now) if raw else None
    if held is None:
        return RedirectResponse(_with_next("/login", target), status_code=303)
    owed = Verified(held.user_id, held.username, SecondFactor.OWED)
    try:
        verified = guarded(
            request,
            side,
            held.username,
            lambda s: login.check_code(s, owed, code, now=now, address=address),
        )
    except DomainError as exc:
        return _refused(request, locale, "auth/code.html", exc, {"next": target})
    policy = token_policy(request)
    new_raw, _, user = sessions.finish_second_factor(
        db, raw, now=now, policy=policy, address=address, how=verified.how
    )
    return _signed_in(request, new_raw, user, target)


@router.post("/logout")
def logout(request: Request, db: DbSession, subject: SettingUpSubject) -> Response:
    """End the session and return to the login page."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        sessions.logout(db, raw, now=request.app.state.clock())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, next: str = "/") -> Response:
    """Remember the chosen language in a cookie and go back."""
    locale = normalise(code) or request.app.state.settings.default_locale
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    return response


def _password_context(request: Request) -> dict[str, object]:
    policy = PasswordPolicy.of(request.app.state.settings)
    subject = request.state.subject
    return {
        "min_length": policy.min_length_for(subject.role),
        "history": policy.history,
        "must_change": getattr(request.state, "must_change_password", False),
    }


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, subject: ChangingPasswordSubject) -> HTMLResponse:
    """The password change form, with the rules a new password must meet."""
    return render(request, "auth/password.html", {"error": None, **_password_context(request)})


@router.post("/account/password", response_model=None)
def password_submit(
    request: Request,
    db: DbSession,
    subject: ChangingPasswordSubject,
    locale: Locale,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """Change the password; all sessions end, so the user logs in again."""
    try:
        service.change_password(
            db,
            subject,
            current_password,
            new_password,
            now=request.app.state.clock(),
            policy=PasswordPolicy.of(request.app.state.settings),
        )
    except DomainError as exc:
        return _refused(request, locale, "auth/password.html", exc, _password_context(request))
    response = RedirectResponse("/login?changed=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response

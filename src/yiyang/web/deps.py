"""Request dependencies: one session per request, the caller's Subject, the locale."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from yiyang.config import Settings
from yiyang.db import request_session
from yiyang.errors import N_, Forbidden, Unauthorized
from yiyang.kit.clock import Clock
from yiyang.security import sessions
from yiyang.security.roles import Role
from yiyang.security.sessions import Authenticated, TokenPolicy
from yiyang.security.subject import Subject
from yiyang.web.csrf import csrf_valid
from yiyang.web.i18n import negotiate

SESSION_COOKIE = "yiyang_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """A page needs a logged-in user; the handler redirects to the login page."""


class SecondFactorSetupRequired(Exception):
    """The role must sign in with a second factor the account lacks: only its set-up is open."""


class PasswordChangeRequired(Exception):
    """The account holds a temporary password an administrator set: only its change is open."""


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    """The app's clock (tests replace it)."""
    clock: Clock = request.app.state.clock
    return clock


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back.

    On SQLite a GET or HEAD begins deferred and waits for no writer unless it writes."""
    reads = request.method in ("GET", "HEAD")
    session = request_session(request.app.state.session_factory, reads=reads)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db, scope="function")]


def get_side_sessions(request: Request) -> sessionmaker[Session]:
    """Sessions for what must be kept whatever the request's outcome (sign-in attempts).

    Each is its own transaction that the caller commits with db.unit_of_work; on SQLite it
    must run before the request's own session first touches the database.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


SideSessions = Annotated[sessionmaker[Session], Depends(get_side_sessions)]


def client_address(request: Request) -> str | None:
    """The caller's address: the one function every audit row and sign-in limit uses.

    The peer is believed, unless it is one of YIYANG_TRUSTED_PROXIES: then the app's proxy
    middleware (app.py) has already put the address the proxy saw in its place.
    """
    return request.client.host if request.client else None


def token_policy(request: Request) -> TokenPolicy:
    """Session and API-token lifetimes from the app's settings."""
    return TokenPolicy.of(request.app.state.settings)


def second_factor_roles(request: Request) -> frozenset[Role]:
    """The roles that must sign in with a second factor (YIYANG_TOTP_REQUIRED_ROLES)."""
    roles: frozenset[Role] = request.app.state.totp_required_roles
    return roles


def _must_set_up(request: Request, auth: Authenticated) -> bool:
    return not auth.second_factor and auth.subject.role in second_factor_roles(request)


def get_locale(request: Request) -> str:
    """The negotiated locale of this request."""
    locale: str = negotiate(request, request.app.state.settings.default_locale)
    request.state.locale = locale
    return locale


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
    auth = sessions.authenticate(
        db, raw, now=now, policy=token_policy(request), address=client_address(request)
    )
    request.state.subject = auth.subject  # known before a refusal, so that it is audited
    request.state.token_id = auth.token_id
    if (
        by_cookie
        and request.method not in SAFE_METHODS
        and not csrf_valid(request.app.state.secret_key, raw, request.headers.get("x-csrf-token"))
    ):
        raise Forbidden(N_("Missing or wrong CSRF token."), code="csrf")
    if auth.must_change_password:
        raise Forbidden(
            N_("Your account holds a temporary password: choose your own on the web page first."),
            code="password_change_required",
        )
    if _must_set_up(request, auth):
        raise Forbidden(
            N_("Your role must sign in with a second factor: set it up on the web page first."),
            code="second_factor_setup_required",
        )
    return auth.subject


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


def _page_auth(request: Request, db: Session, presented: str | None) -> Authenticated:
    """The session cookie's sign-in, CSRF-checked for unsafe methods."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw is None:
        raise LoginRequired()
    try:
        auth = sessions.authenticate(
            db,
            raw,
            now=request.app.state.clock(),
            policy=token_policy(request),
            address=client_address(request),
        )
    except Unauthorized as exc:
        raise LoginRequired() from exc
    request.state.subject = auth.subject  # known before a refusal, so that it is audited
    if request.method not in SAFE_METHODS and not csrf_valid(
        request.app.state.secret_key, raw, presented
    ):
        raise Forbidden(N_("Missing or wrong CSRF token."), code="csrf")
    request.state.session_token = raw
    request.state.token_id = auth.token_id
    return auth


def page_subject(
    request: Request, db: DbSession, presented: Annotated[str | None, Depends(form_csrf)]
) -> Subject:
    """The caller of an HTML page; unauthenticated callers are sent to the login page."""
    auth = _page_auth(request, db, presented)
    if auth.must_change_password:
        raise PasswordChangeRequired()
    if _must_set_up(request, auth):
        raise SecondFactorSetupRequired()
    return auth.subject


def changing_password_subject(
    request: Request, db: DbSession, presented: Annotated[str | None, Depends(form_csrf)]
) -> Subject:
    """The caller of the password change: open while a temporary password is held (before
    a second factor is set up), otherwise as any page."""
    auth = _page_auth(request, db, presented)
    request.state.must_change_password = auth.must_change_password
    if not auth.must_change_password and _must_set_up(request, auth):
        raise SecondFactorSetupRequired()
    return auth.subject


def setting_up_subject(
    request: Request, db: DbSession, presented: Annotated[str | None, Depends(form_csrf)]
) -> Subject:
    """The caller of the second-factor set-up, open also while that set-up is still owed."""
    auth = _page_auth(request, db, presented)
    request.state.must_set_up = _must_set_up(request, auth)
    return auth.subject


ApiSubject = Annotated[Subject, Depends(api_subject)]
PageSubject = Annotated[Subject, Depends(page_subject)]
SettingUpSubject = Annotated[Subject, Depends(setting_up_subject)]
ChangingPasswordSubject = Annotated[Subject, Depends(changing_password_subject)]
Locale = Annotated[str, Depends(get_locale)]
FormBody = Annotated[FormData, Depends(form_data)]

"""Every way of signing in goes through here: limits first, then the check, failures kept.

Each step is its own transaction from the side sessions, so an attempt is counted and a
failure is audited whatever becomes of the request; the request's own session is left
untouched until the credentials are known to be right.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker

from yiyang.db import unit_of_work
from yiyang.security import throttle
from yiyang.security.login import BadCredentials, Verified
from yiyang.security.throttle import ThrottlePolicy, TooManyAttempts
from yiyang.security.twofactor import BadCode
from yiyang.web.deps import PasswordChangeRequired, SecondFactorSetupRequired, client_address
from yiyang.web.errors import error_payload
from yiyang.web.i18n import negotiate

SETUP_PATH = "/account/two-factor"
PASSWORD_PATH = "/account/password"


def guarded(
    request: Request,
    side: sessionmaker[Session],
    username: str,
    check: Callable[[Session], Verified],
) -> Verified:
    """Run one credential check under the account's and the address's limits.

    Raises TooManyAttempts (429) before looking at anything, BadCredentials or BadCode
    after a wrong answer (already audited), or returns what the check verified.
    """
    policy = ThrottlePolicy.of(request.app.state.settings)
    now = request.app.state.clock()
    address = client_address(request)
    with unit_of_work(side) as session:
        throttle.admit(session, username, address, policy, now=now)
    try:
        with unit_of_work(side) as session:
            verified = check(session)
            throttle.succeeded(
                session, username, address, policy, now=now, complete=verified.complete
            )
    except (BadCredentials, BadCode) as exc:
        with unit_of_work(side) as session:
            throttle.failed(session, username, address, now=now, reason=exc.code)
        raise
    return verified


def retry_headers(exc: Exception) -> dict[str, str]:
    """Retry-After for a refused sign-in, nothing for other errors."""
    return {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}


def only_open(request: Request, path: str) -> Response:
    """Send a page (or an htmx fragment's page) to the one step the account owes first."""
    if request.headers.get("hx-request") == "true":
        here = urlsplit(request.headers.get("hx-current-url", "")).path
        if here.startswith(path):  # a fragment of that page itself (the nav)
            return Response(status_code=204)
        return Response(status_code=401, headers={"HX-Redirect": path})
    return RedirectResponse(path, status_code=303)


def install_login_handlers(app: FastAPI) -> None:
    """429 with Retry-After on the API; pages owing a second factor go to its set-up."""

    @app.exception_handler(TooManyAttempts)
    async def _too_many(request: Request, exc: TooManyAttempts) -> Response:
        locale = getattr(request.state, "locale", None) or negotiate(
            request, request.app.state.settings.default_locale
        )
        return JSONResponse(
            error_payload(locale, exc), status_code=exc.status_code, headers=retry_headers(exc)
        )

    @app.exception_handler(SecondFactorSetupRequired)
    async def _set_up(request: Request, exc: SecondFactorSetupRequired) -> Response:
        return only_open(request, SETUP_PATH)

    @app.exception_handler(PasswordChangeRequired)
    async def _change_password(request: Request, exc: PasswordChangeRequired) -> Response:
        return only_open(request, PASSWORD_PATH)

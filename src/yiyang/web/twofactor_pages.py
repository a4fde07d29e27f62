"""Pages of two-factor sign-in: set up with a QR code, recovery codes, turn off."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from yiyang.errors import DomainError
from yiyang.security import twofactor
from yiyang.security.subject import Subject
from yiyang.web.account_pages import local_time
from yiyang.web.auth_pages import safe_next
from yiyang.web.deps import DbSession, Locale, PageSubject, SettingUpSubject, get_locale
from yiyang.web.errors import error_payload
from yiyang.web.login_guard import SETUP_PATH
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
Code = Annotated[str, Form(max_length=64)]
Next = Annotated[str, Form(max_length=2048)]


def _qr(uri: str) -> Markup:
    """The otpauth:// address as an inline SVG QR code (no script, no style attribute)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111827", light="#fff")
    return Markup(svg)  # segno's markup of a URI we built: no request value reaches it


def _key_groups(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _status_page(
    request: Request,
    db: Session,
    subject: Subject,
    *,
    next: str = "/",
    error: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "account/two_factor.html",
        {
            "status": twofactor.status(db, subject),
            "must_set_up": getattr(request.state, "must_set_up", False),
            "local_time": local_time,
            "next": safe_next(next),
            "error": error,
            "turned_off": request.query_params.get("off") == "1",
        },
        status_code=status_code,
    )


def _setup_page(
    request: Request,
    db: Session,
    subject: Subject,
    *,
    next: str,
    error: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    setup = twofactor.begin(
        db, subject, now=request.app.state.clock(), issuer=request.app.state.settings.totp_issuer
    )
    return render(
        request,
        "account/two_factor_setup.html",
        {
            "qr": _qr(setup.uri),
            "key": _key_groups(setup.secret),
            "next": safe_next(next),
            "error": error,
            "must_set_up": getattr(request.state, "must_set_up", False),
        },
        status_code=status_code,
    )


def _codes_page(request: Request, codes: list[str], next: str) -> HTMLResponse:
    return render(request, "account/recovery_codes.html", {"codes": codes, "next": safe_next(next)})


@router.get(SETUP_PATH, response_class=HTMLResponse)
def status_page(
    request: Request, db: DbSession, subject: SettingUpSubject, next: str = "/"
) -> HTMLResponse:
    """Whether two-factor sign-in is on, with what one can do about it."""
    return _status_page(request, db, subject, next=next)


@router.post(SETUP_PATH + "/setup", response_model=None)
def setup(
    request: Request, db: DbSession, subject: SettingUpSubject, locale: Locale, next: Next = "/"
) -> Response:
    """A new key: the QR code to scan, the key to type, and the form for the first code."""
    try:
        return _setup_page(request, db, subject, next=next)
    except DomainError as exc:
        return _status_page(
            request, db, subject, next=next, error=error_payload(locale, exc)["error"],
            status_code=exc.status_code,
        )  # fmt: skip


@router.post(SETUP_PATH + "/confirm", response_model=None)
def confirm(
    request: Request,
    db: DbSession,
    subject: SettingUpSubject,
    locale: Locale,
    code: Code = "",
    next: Next = "/",
) -> Response:
    """Turn it on with the app's first code; the recovery codes are shown this once."""
    try:
        codes = twofactor.confirm(db, subject, code, now=request.app.state.clock())
    except DomainError as exc:
        error = error_payload(locale, exc)["error"]
        if exc.code == "enrolled":
            return _status_page(request, db, subject, next=next, error=error, status_code=409)
        return _setup_page(request, db, subject, next=next, error=error, status_code=422)
    return _codes_page(request, codes, next)


@router.post(SETUP_PATH + "/recovery-codes", response_model=None)
def new_codes(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, code: Code = ""
) -> Response:
    """Ten new recovery codes in place of the old ones, with a code from the app."""
    try:
        codes = twofactor.new_recovery_codes(db, subject, code, now=request.app.state.clock())
    except DomainError as exc:
        return _status_page(
            request, db, subject, error=error_payload(locale, exc)["error"],
            status_code=exc.status_code,
        )  # fmt: skip
    return _codes_page(request, codes, "/")


@router.post(SETUP_PATH + "/disable", response_model=None)
def disable(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    password: Annotated[str, Form(max_length=256)] = "",
    code: Code = "",
) -> Response:
    """Turn two-factor sign-in off with the password and a code."""
    try:
        twofactor.disable(db, subject, password, code, now=request.app.state.clock())
    except DomainError as exc:
        return _status_page(
            request, db, subject, error=error_payload(locale, exc)["error"],
            status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(SETUP_PATH + "?off=1", status_code=303)

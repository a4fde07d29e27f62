"""Map domain errors and validation errors to JSON for the API and to pages for people."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from yiyang.db import refusal
from yiyang.errors import (
    N_,
    Conflict,
    DomainError,
    FieldProblem,
    Forbidden,
    NotFound,
    TooLarge,
)
from yiyang.security.audit import service as audit
from yiyang.security.subject import Subject
from yiyang.web.deps import LoginRequired
from yiyang.web.i18n import negotiate, translate
from yiyang.web.limits import BodyTooLarge

log = logging.getLogger(__name__)
REFUSED = "refused"


class ProblemOut(BaseModel):
    """One field at fault and why."""

    field: str
    code: str
    message: str


class ErrorDetail(BaseModel):
    """What went wrong: a stable code, a translated message, the field at fault."""

    code: str
    message: str
    field: str | None = None
    problems: list[ProblemOut] = []


class ErrorOut(BaseModel):
    """The body of every error answer of the JSON API."""

    error: ErrorDetail


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


# The error statuses every JSON route may answer, documented once for the whole API.
API_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("`bad_request`: the body is not valid JSON or a form cannot be parsed"),
    401: _documented("`unauthorized`: no valid bearer token (or it has expired)"),
    403: _documented("`forbidden`: the role may not do this at all"),
    404: _documented("`not_found`: no such record, or it lies outside the caller's scope"),
    409: _documented("`conflict`: clashes with the current state (duplicate, transition)"),
    413: _documented("`too_large`: the request body (or the export) is over the limit"),
    422: _documented("`validation` or `invalid`: a value breaks a rule; `problems` names it"),
    429: _documented("`too_many_requests`: a rate limit; `Retry-After` says when to retry"),
}


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
_HTTP_MESSAGES = {
    400: N_("The request could not be read: send valid JSON or form data."),
    404: N_("There is no such address in the API."),
    405: N_("This address does not take that method."),
}

# The same for a page address: the person gets a page in their language.
_PAGE_MESSAGES = {
    400: N_("The form could not be read. Please try again."),
    404: N_("There is no such page."),
    405: N_("This page cannot be opened this way."),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem_json(locale: str, problem: FieldProblem) -> dict[str, Any]:
    return {
        "field": problem.field,
        "code": problem.code,
        "message": translate(locale, problem.message, problem.params),
    }


def error_payload(locale: str, exc: DomainError) -> dict[str, Any]:
    """The JSON body of an error: code, translated message, field and per-field problems."""
    return {
        "error": {
            "code": exc.code,
            "message": translate(locale, exc.message, exc.params),
            "field": exc.field,
            "problems": [_problem_json(locale, p) for p in exc.problems],
        }
    }


def _locale(request: Request) -> str:
    return getattr(request.state, "locale", None) or negotiate(
        request, request.app.state.settings.default_locale
    )


def _respond(request: Request, exc: DomainError) -> Response:
    locale = _locale(request)
    if _is_api(request):
        return JSONResponse(error_payload(locale, exc), status_code=exc.status_code)
    from yiyang.web.templating import render

    request.state.locale = locale  # a page no route served has none yet: the message's own
    return render(
        request,
        "error.html",
        {"error": error_payload(locale, exc)["error"], "status": exc.status_code},
        status_code=exc.status_code,
    )


def record_refusal(request: Request, exc: Forbidden) -> None:
    """Audit a refused request in its own transaction (the request's own was rolled back)."""
    subject = getattr(request.state, "subject", None)
    if not isinstance(subject, Subject):
        return
    after: dict[str, Any] = {"code": exc.code, "method": request.method, "path": request.url.path}
    if "perm" in exc.params:
        after["permission"] = str(exc.params["perm"])
    else:  # the refusal's own words, translated when shown
        after |= {"message": exc.message, "params": {k: str(v) for k, v in exc.params.items()}}
    try:
        audit.record_detached(
            request.app.state.session_factory, subject, REFUSED, "request", None,
            detail=f"{request.method} {request.url.path}", after=after,
            at=request.app.state.clock(),
        )  # fmt: skip
    except Exception:  # the refusal still answers 403 when the audit database is unavailable
        log.exception("could not audit a refused request to %s", request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers so that a bad request never becomes a 500."""

    @app.exception_handler(DomainError)
    def _domain(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, Forbidden):
            record_refusal(request, exc)
        return _respond(request, exc)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": f"/login?next={target}"})
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if not _is_api(request) and any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            # A page address with an impossible id (/elders/99999999999999999999) is no page.
            return _respond(request, NotFound(N_("There is no such page.")))
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
            problems.append(
                FieldProblem(".".join(loc) or "request", err.get("type", "invalid"), err["msg"])
            )
        fields = ", ".join(p.field for p in problems)
        domain = DomainError(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )
        domain.status_code, domain.code = 422, "validation"
        return _respond(request, domain)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc, BodyTooLarge):
            return _respond(
                request,
                TooLarge(N_("The request is too large: at most %(limit)s bytes."), limit=exc.limit),
            )
        if _is_api(request):
            message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        elif exc.status_code in _PAGE_MESSAGES:
            message = _PAGE_MESSAGES[exc.status_code]
        else:
            return await http_exception_handler(request, exc)
        domain = DomainError(message)
        domain.status_code = exc.status_code
        domain.code = _HTTP_CODES.get(exc.status_code, "error")
        response = _respond(request, domain)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        known = refusal(exc)
        return _respond(
            request,
            known or Conflict(N_("The change clashes with existing data and was not saved.")),
        )

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        known = refusal(exc)
        if known is None:
            raise exc  # the database is down or failing: a real 500, logged as such
        return _respond(request, known)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> Response:
        return _respond(
            request,
            Conflict(N_("Someone else changed this record meanwhile. Reload and try again.")),
        )

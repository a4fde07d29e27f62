"""The accounts pages of the district administrator: everyone who signs in, opening an
account with a temporary password, and the help-desk actions on someone else's account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId
from yiyang.registry.accounts import repository, service
from yiyang.registry.accounts.repository import AccountFilter, AccountState, AccountView
from yiyang.registry.accounts.schemas import AccountOpen
from yiyang.registry.areas.service import area_choices
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.facilities.pages import providers_in_scope
from yiyang.security import administration
from yiyang.security import repository as security_repository
from yiyang.security.passwords import PasswordPolicy
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import (
    FormRefusal,
    form_values,
    list_page,
    optional,
    page_number,
    problems_by_field,
    query_filter,
    refused,
    submit_form,
    text,
)
from yiyang.web.templating import render

router = APIRouter(prefix="/accounts", include_in_schema=False, dependencies=[Depends(get_locale)])
FILTER_KEYS = ("q", "role", "state")
PAGE_SIZE = 25
# A page that shows a temporary password is kept by no cache and no back button.
NO_STORE = {"Cache-Control": "no-store"}
DONE = ("deactivated", "reactivated", "unlocked", "not_locked", "second_factor")


def _policy(request: Request) -> PasswordPolicy:
    return PasswordPolicy.of(request.app.state.settings)


@router.get("", response_class=HTMLResponse)
def account_list(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """Every account by user name, filtered by name, role and whether it can sign in now."""
    subject.require(Perm.USER_MANAGE)
    flt, values = query_filter(AccountFilter, request, FILTER_KEYS)
    page = repository.list_accounts(
        db, subject, flt, PageParams(page=page_number(request), size=PAGE_SIZE),
        now=request.app.state.clock(),
    )  # fmt: skip
    context = {"page": page, "roles": list(Role), "states": list(AccountState)}
    return list_page(
        request, "/accounts", "accounts/list.html", "accounts/_results.html", values, context
    )


def _form(
    request: Request,
    db: Session,
    subject: Subject,
    values: dict[str, Any],
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "values": values,
        "errors": errors or {},
        "message": message,
        "roles": list(Role),
        "areas": area_choices(db, subject),
        "providers": providers_in_scope(db, subject),
    }
    return render(request, "accounts/form.html", context, status_code=status_code)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """An empty account form."""
    subject.require(Perm.USER_MANAGE)
    return _form(request, db, subject, {"role": Role.CAREGIVER.value})


def _payload(form: FormBody) -> dict[str, Any]:
    keys = ("street_code", "community_code", "provider_id", "staff_code", "elder_id_number")
    payload: dict[str, Any] = {k: optional(form, k) for k in keys}
    for key in ("username", "display_name", "role"):
        payload[key] = text(form, key)
    return payload


@router.post("/new", response_model=None)
def create(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Open the account and show its temporary password once; a wrong field is named (422)."""
    subject.require(Perm.USER_MANAGE)
    result = submit_form(
        db, locale, AccountOpen, _payload(form),
        lambda data: service.open_account(db, subject, data, policy=_policy(request)),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        errors = problems_by_field(locale, result.problems)
        return _form(
            request, db, subject, form_values(form), errors=errors, message=result.message,
            status_code=result.status_code,
        )  # fmt: skip
    user, password = result
    return _view(request, db, subject, user.id, temporary=password, opened=True)


def _followed(db: Session, subject: Subject, account: AccountView) -> list[tuple[int, str]]:
    """The elders a family account follows, by name."""
    if account.role is not Role.FAMILY:
        return []
    ids = {link.elder_id for link in security_repository.family_links(db, account.id)}
    names = elder_repository.names(db, subject, ids)
    return sorted(names.items(), key=lambda pair: pair[1])


def _view(
    request: Request,
    db: Session,
    subject: Subject,
    user_id: int,
    *,
    temporary: str | None = None,
    opened: bool = False,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    account = repository.read_account(db, subject, user_id, now=request.app.state.clock())
    done = request.query_params.get("done")
    context = {
        "account": account,
        "followed": _followed(db, subject, account),
        "temporary": temporary,
        "opened": opened,
        "done": done if done in DONE else None,
        "errors": errors or {},
        "message": message,
        "is_self": account.id == subject.user_id,
    }
    headers = NO_STORE if temporary else None
    return render(request, "accounts/view.html", context, status_code=status_code, headers=headers)


@router.get("/{user_id}", response_class=HTMLResponse)
def view(request: Request, db: DbSession, subject: PageSubject, user_id: RowId) -> HTMLResponse:
    """One account: its binding, whether it can sign in now, and the help-desk actions."""
    subject.require(Perm.USER_MANAGE)
    return _view(request, db, subject, user_id)


def _act(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    user_id: int,
    action: Callable[[], object],
    then: Callable[[object], Response],
) -> Response:
    """Run one action in a savepoint; refused, the page comes back with the reason."""
    subject.require(Perm.USER_MANAGE)
    outcome: list[object] = []

    def run() -> None:
        with db.begin_nested():
            outcome.append(action())

    refusal = refused(locale, run)
    if refusal is not None:
        problems, status_code, headline = refusal
        return _view(
            request, db, subject, user_id, errors=problems_by_field(locale, problems),
            message=headline, status_code=status_code,
        )  # fmt: skip
    return then(outcome[0])


def _done(user_id: int, word: str) -> Response:
    return RedirectResponse(f"/accounts/{user_id}?done={word}", status_code=303)


@router.post("/{user_id}/deactivate", response_model=None)
def deactivate(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale,
    user_id: RowId,
) -> Response:  # fmt: skip
    """Nobody signs in to the account any more; its sessions end at once."""
    return _act(
        request, db, subject, locale, user_id,
        lambda: administration.deactivate(
            db, subject, user_id, reason=text(form, "reason"), now=request.app.state.clock()
        ),
        lambda _: _done(user_id, "deactivated"),
    )  # fmt: skip


@router.post("/{user_id}/reactivate", response_model=None)
def reactivate(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, user_id: RowId
) -> Response:
    """The account may sign in again."""
    return _act(
        request, db, subject, locale, user_id,
        lambda: administration.reactivate(db, subject, user_id, now=request.app.state.clock()),
        lambda _: _done(user_id, "reactivated"),
    )  # fmt: skip


@router.post("/{user_id}/unlock", response_model=None)
def unlock(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, user_id: RowId
) -> Response:
    """Forget the failed sign-ins that locked the account."""
    return _act(
        request, db, subject, locale, user_id,
        lambda: administration.lift_lock(db, subject, user_id, now=request.app.state.clock()),
        lambda unlocked: _done(user_id, "unlocked" if unlocked else "not_locked"),
    )  # fmt: skip


@router.post("/{user_id}/second-factor/remove", response_model=None)
def remove_second_factor(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, user_id: RowId
) -> Response:
    """The person lost the authenticator: it stops working, and a new one is set up."""
    return _act(
        request, db, subject, locale, user_id,
        lambda: administration.remove_second_factor(
            db, subject, user_id, now=request.app.state.clock()
        ),
        lambda _: _done(user_id, "second_factor"),
    )  # fmt: skip


@router.post("/{user_id}/password", response_model=None)
def reset_password(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, user_id: RowId
) -> Response:
    """A temporary password, shown once here, that the person replaces at the next sign-in."""
    return _act(
        request, db, subject, locale, user_id,
        lambda: administration.reset_password(
            db, subject, user_id, now=request.app.state.clock(), policy=_policy(request)
        ),
        lambda password: _view(request, db, subject, user_id, temporary=str(password)),
    )  # fmt: skip

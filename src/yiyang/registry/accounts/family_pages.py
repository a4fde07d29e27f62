"""The elder page's card of family accounts: who follows the elder in the phone pages, linked
and unlinked by the district administrator (the same service as the API, audited)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from yiyang.kit.types import RowId
from yiyang.registry.accounts import family
from yiyang.registry.elders import repository as elder_repository
from yiyang.security import repository as security_repository
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import optional, problems_by_field, refused, text
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


def _card(
    request: Request,
    db: Session,
    subject: Subject,
    elder_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The card: the accounts following the elder, and the form to link one more."""
    subject.require(Perm.USER_MANAGE)
    elder = elder_repository.get(db, subject, elder_id)
    context = {
        "elder": elder,
        "followers": security_repository.followers_of(db, elder.id),
        "values": values or {},
        "errors": errors or {},
    }
    return render(request, "elders/_family.html", context, status_code=status_code)


@router.get("/elders/{elder_id}/family", response_class=HTMLResponse)
def card(request: Request, db: DbSession, subject: PageSubject, elder_id: RowId) -> HTMLResponse:
    """Who follows the elder on the family phone pages (district administrators)."""
    return _card(request, db, subject, elder_id)


@router.post("/elders/{elder_id}/family", response_class=HTMLResponse)
def link(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    elder_id: RowId,
) -> HTMLResponse:
    """Link a family account by its sign-in name; a wrong one is named beside its field (422)."""
    subject.require(Perm.USER_MANAGE)
    elder = elder_repository.get(db, subject, elder_id)
    values = {"username": text(form, "username"), "relationship": text(form, "relationship")}

    def save() -> None:
        with db.begin_nested():
            family.link_by_username(
                db, subject, values["username"], elder.id,
                relationship=optional(form, "relationship"), now=request.app.state.clock(),
            )  # fmt: skip

    refusal = refused(locale, save)
    if refusal is not None:
        problems, status_code, _ = refusal
        return _card(
            request, db, subject, elder.id, values=values,
            errors=problems_by_field(locale, problems), status_code=status_code,
        )  # fmt: skip
    return _card(request, db, subject, elder.id)


@router.post("/elders/{elder_id}/family/{user_id}/unlink", response_class=HTMLResponse)
def unlink(
    request: Request, db: DbSession, subject: PageSubject, elder_id: RowId, user_id: RowId
) -> HTMLResponse:
    """The account stops following the elder (the card comes back without it)."""
    subject.require(Perm.USER_MANAGE)
    elder = elder_repository.get(db, subject, elder_id)
    family.unlink_elder(db, subject, user_id, elder.id, now=request.app.state.clock())
    return _card(request, db, subject, elder.id)

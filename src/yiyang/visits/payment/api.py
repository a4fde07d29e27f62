"""JSON routes of payment: the exceptions queue and its reviews, settlement runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from yiyang.kit.types import Month, RowId
from yiyang.visits.payment import exceptions
from yiyang.visits.payment.schemas import (
    ExceptionFilter,
    ExceptionRead,
    ExceptionState,
    ReviewIn,
)
from yiyang.visits.policy import policy_from
from yiyang.visits.rules import VisitPolicy
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale

router = APIRouter(tags=["payment"], dependencies=[Depends(get_locale)])


def _policy(request: Request) -> VisitPolicy:
    return policy_from(request.app.state.settings)


@router.get("/exceptions", response_model=list[ExceptionRead])
def list_exceptions(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    month: Month | None = None,
    provider_id: RowId | None = None,
    reason: Annotated[str | None, Query(max_length=32)] = None,
    state: ExceptionState = "open",
) -> list[ExceptionRead]:
    """Delivered visits of a month (default: this one) that cannot be paid as they stand."""
    flt = ExceptionFilter(month=month, provider_id=provider_id, reason=reason, state=state)
    return exceptions.list_exceptions(
        db, subject, flt, now=request.app.state.clock(), policy=_policy(request), locale=locale
    )


@router.get("/exceptions/{order_id}", response_model=ExceptionRead)
def read_exception(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, order_id: RowId
) -> ExceptionRead:
    """One delivered visit's payability, its reasons in words and its review history."""
    return exceptions.read_exception(db, subject, order_id, policy=_policy(request), locale=locale)


@router.post("/exceptions/{order_id}/reviews", response_model=ExceptionRead, status_code=201)
def review(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    order_id: RowId,
    body: ReviewIn,
) -> ExceptionRead:
    """Approve, reject or ask the provider (reviewers), or answer (the provider); reason needed."""
    return exceptions.review(
        db, subject, order_id, body, now=request.app.state.clock(), policy=_policy(request),
        locale=locale,
    )  # fmt: skip

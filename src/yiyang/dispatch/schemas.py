"""Pydantic shapes of dispatch: decisions, candidates, manual assignment, the dispatched order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from yiyang.kit.types import LongText, RowId
from yiyang.orders.schemas import OrderRead
from yiyang.security.disclosure import Kind, Sensitive

# A provider's person weighed by dispatch: named to dispatchers, auditors and their own provider.
Weighed = Sensitive(Kind.DISPATCHED_STAFF)


class AssignIn(BaseModel):
    """A dispatcher's manual assignment (a reason is required)."""

    staff_id: RowId
    reason: LongText = Field(min_length=1, max_length=500)
    pin: bool = False
    override_busy: bool = False  # assign even though the caregiver has a visit at that time


class WeighedCandidate(BaseModel):
    """A caregiver dispatch weighed; who it was is null for readers of another provider."""

    staff_id: Annotated[int | None, Weighed]
    provider_id: Annotated[int | None, Weighed]
    name: Annotated[str | None, Weighed] = None
    centre: Annotated[str | None, Weighed] = None  # the caregiver's home centre
    provider_name: str | None = None  # whose caregiver (not told to other providers)
    tier: str
    travel_min: float
    start: datetime | None = None
    score: float
    load_share: float
    visits_before: int
    reasons: list[str] = Field(default_factory=list)


class DecisionRead(BaseModel):
    """One dispatch decision with the candidates weighed and a short explanation.

    Readers who may not see other providers' staff get the winner's ids (and the
    dispatcher's `reason`) as null when another provider's, the candidates of other
    providers unnamed, and an explanation without their names.
    """

    id: int
    at: datetime
    attempt: int
    tier: str | None
    winner_staff_id: Annotated[int | None, Weighed]
    winner_provider_id: Annotated[int | None, Weighed]
    travel_min: float | None
    candidates: list[WeighedCandidate]
    rejected: dict[str, Any]
    unplaceable_reason: str | None
    explanation: str  # in the request's language
    explanation_lines: list[dict[str, Any]]  # {"t": template, "p": params}, as stored
    outcome: str
    manual: bool
    decided_by_id: int | None
    reason: Annotated[str | None, Weighed]  # the dispatcher's words about whom they picked
    busy_overridden: bool


class CandidateRead(BaseModel):
    """A caregiver a dispatcher may assign to an order, ranked the planner's way."""

    staff_id: int
    name: str
    code: str
    provider: str
    facility: str
    tier: str
    travel_min: float
    start: datetime | None  # the earliest start in the caregiver's best free gap
    load_share: float
    visits_before: int
    feasible: bool  # automatic dispatch itself could choose this caregiver
    reason: str | None  # why not: busy, shift, capacity, skill
    reason_label: str | None  # the reason in the request's language
    missing_skills: list[str]
    refused_before: bool
    current: bool  # the order's caregiver now


class OrderDetail(OrderRead):
    """The full order with every dispatch decision, oldest first (none for the elder, the
    family and caregivers)."""

    decisions: Annotated[list[DecisionRead], Sensitive(Kind.DISPATCH_DECISIONS)]
    elder_address: str = ""
    elder_phone: Annotated[str | None, Sensitive(Kind.ELDER_PHONE)] = None
    contact_name: str | None = None  # the first emergency contact
    contact_relationship: str | None = None
    contact_phone: Annotated[str | None, Sensitive(Kind.CONTACT_PHONE)] = None
    contact_has_key: bool = False

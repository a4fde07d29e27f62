"""Pydantic shapes of orders in and out: create, quote, filter, list item, full record."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import LongText, PlainText, RowId, SaneDate, SaneDateTime, SearchText
from yiyang.orders.rules import Channel, Status
from yiyang.security.disclosure import Kind, Sensitive

# Who serves an order (caregiver, their centre, the provider): hidden from the elder and
# family until a caregiver has accepted.
Serving = Sensitive(Kind.ORDER_CAREGIVER)


class OrderCreate(BaseModel):
    """A new order: which elder, which service, when.

    `government_purchase`: true insists on the government paying (refused when ineligible),
    false means the elder pays all, null applies a subsidy when one is due.
    """

    elder_id: RowId
    item_code: PlainText = Field(min_length=1, max_length=32)
    window_start: SaneDateTime
    window_end: SaneDateTime
    channel: Channel = Channel.APP
    government_purchase: bool | None = None
    notes: LongText | None = Field(default=None, max_length=2000)


class QuoteRequest(BaseModel):
    """What a quote needs: the order without channel or notes."""

    elder_id: RowId
    item_code: PlainText = Field(min_length=1, max_length=32)
    window_start: SaneDateTime
    window_end: SaneDateTime | None = None
    government_purchase: bool | None = None


class UnmetRead(BaseModel):
    """One eligibility condition the elder fails: the clause key, what it needs, what is."""

    condition: str
    required: list[str] | int
    actual: list[str] | str | int | None


class SubsidyMissRead(BaseModel):
    """Why one policy in force pays nothing: a reason code and, for "not eligible", the
    conditions each of its clauses failed (any one clause met would have been enough)."""

    policy_code: str
    policy_name: str
    policy_name_en: str | None = None
    reason: str
    clauses: list[list[UnmetRead]] = []
    limit: int | None = None


class Quote(BaseModel):
    """The price in force and who pays what, before the order is confirmed.

    When the government pays nothing, `subsidy_misses` says why policy by policy and
    `subsidy_why` says it in words (in the reader's language).
    """

    item_code: str
    price_id: int
    price_effective_date: date
    price_fen: int
    standard_minutes: int
    government_fen: int
    elder_fen: int
    subsidy_reason: str
    policy_id: int | None = None
    policy_code: str | None = None
    subsidy_misses: list[SubsidyMissRead] = []
    subsidy_why: list[str] = []


class OrderFilter(BaseModel):
    """List filters; they narrow the caller's scope and never widen it.

    `q` matches the elder's name or the order number; `unassigned` keeps the open orders no
    caregiver has accepted yet; `date` is one service date, `date_from`/`date_to` a range.
    """

    model_config = ConfigDict(populate_by_name=True)

    q: SearchText | None = Field(default=None, max_length=64)
    status: Status | None = None
    unassigned: bool = False
    cross_street: bool = False  # served from a centre in another street than the elder's
    elder_id: RowId | None = None
    item_code: PlainText | None = Field(default=None, max_length=32)
    channel: Channel | None = None
    provider_id: RowId | None = None
    staff_id: RowId | None = None
    street_code: PlainText | None = Field(default=None, max_length=32)
    community_code: PlainText | None = Field(default=None, max_length=32)
    service_date: SaneDate | None = Field(default=None, alias="date")
    date_from: SaneDate | None = None
    date_to: SaneDate | None = None


class EventIn(BaseModel):
    """Why an event happens; an organisation accepting may name its own caregiver."""

    reason: LongText | None = Field(default=None, max_length=500)
    staff_id: RowId | None = None


class OrderEventRead(BaseModel):
    """One timeline row; a provider's person is named (with their reason) only to readers
    who may see them (dispatch.reads says who)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_role: str
    actor_name: str | None
    event: str
    from_status: str | None
    to_status: str
    reason: str | None
    reason_label: str | None = None  # the reason in the request's language
    detail: dict[str, Any]


class OrderListItem(BaseModel):
    """An order as shown in a list; the elder and family see who serves it once accepted."""

    id: int
    elder_id: int
    elder_name: str
    item_code: str
    item_name: str
    item_name_en: str = ""
    channel: str
    window_start: datetime
    window_end: datetime
    service_date: date
    status: str
    provider_id: Annotated[int | None, Serving]
    provider_status: str | None
    staff_id: Annotated[int | None, Serving]
    caregiver_status: str | None
    price_fen: int
    government_fen: int
    elder_fen: int
    created_at: datetime
    street_name: str | None = None
    community_name: str | None = None
    provider_name: Annotated[str | None, Serving] = None
    staff_name: Annotated[str | None, Serving] = None
    facility_name: Annotated[str | None, Serving] = None  # the caregiver's centre
    facility_phone: Annotated[str | None, Serving] = None  # the centre's front desk (public)
    planned_start: datetime | None = None  # when the caregiver is expected, once planned
    cross_street: Annotated[bool | None, Serving] = None  # that centre is in another street


class OrderRead(OrderListItem):
    """The full order: money, policy, timeline and the events the status allows."""

    standard_minutes: int
    price_id: int
    policy_id: int | None
    subsidy_reason: str | None
    government_purchase: bool
    pinned: bool
    dispatch_attempts: int
    recurring_id: int | None
    notes: str | None
    cancel_reason: str | None
    allowed_events: list[str]
    timeline: list[OrderEventRead]


class RecurringIn(BaseModel):
    """A standing order: weekdays (0 = Monday, at least one) and a local time window."""

    elder_id: RowId
    item_code: PlainText = Field(min_length=1, max_length=32)
    weekdays: list[int] = Field(max_length=7)
    start_time: time
    end_time: time
    start_date: SaneDate
    end_date: SaneDate | None = None
    notes: LongText | None = Field(default=None, max_length=2000)


class RecurringUpdate(BaseModel):
    """A partial change to a standing order."""

    weekdays: list[int] | None = Field(default=None, max_length=7)
    start_time: time | None = None
    end_time: time | None = None
    end_date: SaneDate | None = None
    active: bool | None = None
    notes: LongText | None = Field(default=None, max_length=2000)


class RecurringRead(BaseModel):
    """A standing order as stored."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    elder_id: int
    item_id: int
    weekdays: list[int]
    start_time: time
    end_time: time
    start_date: date
    end_date: date | None
    active: bool
    notes: str | None
    last_expanded_date: date | None


class AllowanceRead(BaseModel):
    """A government-purchase policy that covers the elder, and what is left of its quotas."""

    policy_code: str
    policy_name: str
    policy_name_en: str | None = None
    share_percent: int
    per_order_cap_fen: int | None
    item_codes: list[str]
    monthly_quota_fen: int | None
    month_left_fen: int | None
    monthly_quota_count: int | None
    month_left_count: int | None
    weekly_quota_count: int | None
    week_left_count: int | None


class OrderableService(BaseModel):
    """A service the elder may order on the day: its price and who would pay what."""

    code: str
    name_zh: str
    name_en: str
    category_code: str
    category_name_zh: str
    category_name_en: str
    unit: str
    standard_minutes: int
    price_id: int
    price_fen: int
    price_effective_date: date
    government_purchasable: bool
    government_fen: int
    elder_fen: int
    subsidy_reason: str
    policy_code: str | None = None
    policy_name: str | None = None


class OrderableServices(BaseModel):
    """Everything one elder may order on one day, and the subsidies that still apply."""

    elder_id: int
    on: date
    services: list[OrderableService]
    allowances: list[AllowanceRead]

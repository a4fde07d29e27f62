"""Pydantic shapes of visits in and out: check-in/out, checklist, corrections, ratings, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import LongText, Name, PlainText, RowId, SaneDate, SaneDateTime
from yiyang.orders.schemas import Serving
from yiyang.security.disclosure import Kind, Sensitive

ElderPhone = Annotated[str | None, Sensitive(Kind.ELDER_PHONE)]


class Position(BaseModel):
    """A phone's WGS-84 fix and its accuracy radius in metres."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)


class CheckIn(BaseModel):
    """A check-in from the caregiver's phone: GPS, or the QR code on the elder's card."""

    method: Literal["gps", "qr"] = "gps"
    position: Position | None = None
    qr_code: PlainText | None = Field(default=None, max_length=80)


class CheckOut(BaseModel):
    """A check-out; a visit shorter than the minimum needs a reason code."""

    method: Literal["gps", "qr"] = "gps"
    position: Position | None = None
    qr_code: PlainText | None = Field(default=None, max_length=80)
    short_reason: LongText | None = Field(default=None, max_length=32)
    note: LongText | None = Field(default=None, max_length=2000)


class OfferAnswer(BaseModel):
    """The caregiver's answer to an offered visit."""

    accept: bool
    reason: LongText | None = Field(default=None, max_length=500)


class OfferResult(BaseModel):
    """What became of an answered offer (a refused order is no longer the caregiver's)."""

    order_id: int
    accepted: bool
    status: str | None


class ChecklistIn(BaseModel):
    """Items of the service's checklist marked done (true) or not done (false)."""

    items: dict[str, bool]


class NoteIn(BaseModel):
    """A note appended to the visit."""

    text: LongText = Field(min_length=1, max_length=2000)


class CorrectionIn(BaseModel):
    """A manual correction of a visit time, with a reason code from the fixed list."""

    field_name: Literal["check_in_at", "check_out_at"]
    value: SaneDateTime | None = None
    reason: LongText | None = Field(default=None, max_length=32)
    note: LongText | None = Field(default=None, max_length=2000)


class RatingIn(BaseModel):
    """The elder's or family's confirmation of a visit."""

    score: int = Field(ge=1, le=5)
    comment: LongText | None = Field(default=None, max_length=2000)


class ComplaintIn(BaseModel):
    """A complaint about a visit."""

    category: Literal["lateness", "quality", "attitude", "safety", "billing", "other"] = "other"
    text: LongText = Field(min_length=1, max_length=4000)


class ReturnVisitIn(BaseModel):
    """A call-centre follow-up call (回访) and what the elder said."""

    reached: bool = True
    satisfaction: int | None = Field(default=None, ge=1, le=5)
    notes: LongText | None = Field(default=None, max_length=4000)


class CheckRead(BaseModel):
    """One side of a visit (check-in or check-out) as people see it."""

    at: datetime | None
    method: str | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    distance_m: float | None
    flag: str | None
    manual: bool


class CorrectionRead(BaseModel):
    """A recorded manual correction."""

    model_config = ConfigDict(from_attributes=True)

    at: SaneDateTime
    by_name: Name
    by_role: PlainText
    field_name: Name
    before: PlainText | None
    after: PlainText | None
    reason_code: PlainText
    note: LongText | None


class VisitItem(BaseModel):
    """One line of a caregiver's day: when, whom, where, what, and how far it got.

    The elder's phone is shown to the people serving them only while they do (docs/privacy.md).
    """

    order_id: int
    status: str
    window_start_at: datetime
    window_end_at: datetime
    planned_start_at: datetime | None = None
    service_code: str
    service_name: str
    service_name_en: str = ""
    elder_id: int
    elder_name: str
    elder_phone: ElderPhone
    address: str
    lat: float
    lon: float
    map_lat_gcj02: float
    map_lon_gcj02: float
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class VisitRead(VisitItem):
    """Everything about one visit: both checks, checklist, notes, corrections, rating."""

    staff_id: Annotated[int | None, Serving]
    staff_name: Annotated[str | None, Serving]
    geofence_m: int
    check_in: CheckRead
    check_out: CheckRead
    duration_min: int | None
    short_reason: str | None
    checklist_items: list[str]
    checklist: dict[str, bool]
    notes: str | None
    manual: bool
    corrections: list[CorrectionRead]
    rating_score: int | None
    rating_comment: str | None
    flags: list[str] = []  # supervision flags (payment reason codes), e.g. early_arrival
    punctuality: str


class RatingRead(BaseModel):
    """A stored rating."""

    model_config = ConfigDict(from_attributes=True)

    order_id: int
    at: datetime
    score: int
    comment: str | None


class ComplaintRead(BaseModel):
    """A stored complaint."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    at: datetime
    by_role: str
    category: str
    text: str
    status: str


class ReturnVisitRead(BaseModel):
    """A stored follow-up call."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    at: datetime
    operator_name: str
    reached: bool
    satisfaction: int | None
    notes: str | None


AlertKindCode = Literal["late", "no_show", "geofence", "early", "short"]
AlertStatus = Literal["open", "acknowledged", "resolved"]


class AlertRead(BaseModel):
    """A supervision alert with what an operator needs: elder, caregiver, order, who did what.

    `status` is open (nobody has handled it), acknowledged (a person is on it) or resolved
    (a person closed it, or the cause went away by itself: `cleared_at`). The elder's phone is
    masked for roles that may not see it in full.
    """

    id: int
    kind: str
    status: AlertStatus
    order_id: int
    order_status: str
    window_start_at: datetime
    service_name: str
    service_name_en: str
    elder_id: int
    elder_name: str
    elder_phone: ElderPhone
    street_name: str
    community_name: str
    staff_id: Annotated[int | None, Serving]
    staff_name: Annotated[str | None, Serving]
    raised_at: datetime
    minutes_open: int
    detail: dict[str, object]
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledge_note: str | None
    cleared_at: datetime | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None


class AlertFilter(BaseModel):
    """Filters of the alert screen and API; no status means the ones still to handle."""

    kind: AlertKindCode | None = None
    status: AlertStatus | Literal["all"] | None = None
    street_code: PlainText | None = Field(default=None, max_length=32)
    elder: PlainText | None = Field(default=None, max_length=64)
    order_id: RowId | None = Field(default=None, ge=1)
    caregiver: PlainText | None = Field(default=None, max_length=64)
    staff_id: RowId | None = Field(default=None, ge=1)
    older_than_min: int | None = Field(default=None, ge=0, le=100_000)
    sort: Literal["urgent", "newest"] = "urgent"


class AlertNote(BaseModel):
    """What a person did about an alert (acknowledging or resolving it needs one)."""

    note: LongText = Field(default="", max_length=2000)


class CardCode(BaseModel):
    """The signed code to print as a QR on an elder's card."""

    elder_id: int
    code: str


class EvvQuery(BaseModel):
    """The period of an EVV export (China dates, inclusive)."""

    date_from: SaneDate
    date_to: SaneDate

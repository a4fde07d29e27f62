"""Shapes in and out of the responder API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from yiyang.alarms.response.models import AlarmResponder
from yiyang.alarms.response.rules import OUTCOMES, ROLE_WORDS, STATE_WORDS, Offer, State
from yiyang.kit.types import Code, LongText, PlainText
from yiyang.web.i18n import translate

PersonKey = Annotated[str, StringConstraints(pattern=r"^(staff|user):[1-9][0-9]{0,18}$")]


class SendIn(BaseModel):
    """Send the nearest on duty, or the person picked from the candidates (`staff:12`)."""

    model_config = ConfigDict(extra="forbid")
    person: PersonKey | None = None


class RefuseIn(BaseModel):
    """Why the responder cannot go (a code of rules.REFUSE_REASONS)."""

    model_config = ConfigDict(extra="forbid")
    reason: Code


class ArriveIn(BaseModel):
    """Where the responder is (browser geolocation), or why there is no location."""

    model_config = ConfigDict(extra="forbid")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    reason: Annotated[PlainText, StringConstraints(max_length=200)] | None = None


class ReportIn(BaseModel):
    """What the responder found and did (a code of rules.OUTCOMES) and a note."""

    model_config = ConfigDict(extra="forbid")
    outcome: Code
    note: Annotated[LongText, StringConstraints(max_length=1000)] | None = None


class ResponderRead(BaseModel):
    """One responder of an alarm, in words and times."""

    id: int
    alarm_id: int
    name: str
    role: str
    role_words: str
    rank: int
    state: str
    state_words: str
    travel_mode: str
    travel_minutes: int
    sent_at: datetime
    accepted_at: datetime | None
    refused_at: datetime | None
    refused_reason: str | None
    on_the_way_at: datetime | None
    arrived_at: datetime | None
    arrived_distance_m: int | None
    arrived_reason: str | None
    reported_at: datetime | None
    outcome: str | None
    outcome_words: str | None
    note: str | None

    @classmethod
    def of(cls, r: AlarmResponder, locale: str) -> ResponderRead:
        """The read shape of a responder row."""
        return cls(
            id=r.id, alarm_id=r.alarm_id, name=r.name, role=r.role,
            role_words=translate(locale, ROLE_WORDS.get(r.role, r.role)), rank=r.rank,
            state=r.state, state_words=translate(locale, STATE_WORDS[State(r.state)]),
            travel_mode=r.travel_mode, travel_minutes=r.travel_minutes, sent_at=r.sent_at,
            accepted_at=r.accepted_at, refused_at=r.refused_at, refused_reason=r.refused_reason,
            on_the_way_at=r.on_the_way_at, arrived_at=r.arrived_at,
            arrived_distance_m=r.arrived_distance_m, arrived_reason=r.arrived_reason,
            reported_at=r.reported_at, outcome=r.outcome,
            outcome_words=translate(locale, OUTCOMES[r.outcome]) if r.outcome else None,
            note=r.note,
        )  # fmt: skip


class ResponderCandidate(BaseModel):
    """Someone who could be sent now, nearest first."""

    person: str
    name: str
    role_words: str
    minutes: int
    same_community: bool

    @classmethod
    def of(cls, offer: Offer, locale: str) -> ResponderCandidate:
        """The read shape of an offer."""
        p = offer.person
        return cls(
            person=p.key, name=p.name, minutes=offer.minutes, same_community=offer.local,
            role_words=translate(locale, ROLE_WORDS.get(p.role, p.role)),
        )  # fmt: skip

"""Pure rules about elders: identity, phone, age, place, contacts and visit risk tier."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from yiyang.errors import N_, FieldProblem
from yiyang.kit.idcard import IdNumberFacts, age_on
from yiyang.registry.identity_rules import parsed_id_number

MIN_AGE = 60
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_FULL_ID = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
LOOKUP_WINDOW = timedelta(hours=1)  # exact ID-number searches are counted over this window


def id_number_problem(
    raw: str, today: date, field: str = "id_number"
) -> FieldProblem | IdNumberFacts:
    """Parse an ID number, or describe what is wrong with it."""
    facts = parsed_id_number(raw, today, field)
    if isinstance(facts, FieldProblem):
        return facts
    age = age_on(facts.birth_date, today)
    if age < MIN_AGE:
        return FieldProblem(
            field,
            "too_young",
            N_("The platform registers people aged %(min)s or over; this ID number gives %(age)s."),
            {"min": MIN_AGE, "age": age},
        )
    return facts


def normalise_phone(raw: str | None) -> str | None:
    """Strip spaces and a +86 prefix; empty becomes None."""
    if raw is None:
        return None
    phone = re.sub(r"[\s()]", "", raw)
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone or None


def phone_problem(phone: str | None, field: str) -> FieldProblem | None:
    """A phone must be a mainland mobile (11 digits) or a landline with area code."""
    if phone is None:
        return None
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return None
    return FieldProblem(
        field,
        "phone",
        N_(
            "Not a valid phone number: a mobile has 11 digits, "
            "a landline starts with its area code."
        ),
    )


def coordinates_problems(lat: float, lon: float, inside: bool) -> list[FieldProblem]:
    """Coordinates must be real WGS-84 values inside the district."""
    if not (-90 <= lat <= 90):
        return [FieldProblem("lat", "range", N_("Latitude must be between -90 and 90."))]
    if not (-180 <= lon <= 180):
        return [FieldProblem("lon", "range", N_("Longitude must be between -180 and 180."))]
    if not inside:
        return [
            FieldProblem(
                "lat",
                "outside_district",
                N_("The location %(lat)s, %(lon)s lies outside the district."),
                {"lat": round(lat, 6), "lon": round(lon, 6)},
            )
        ]
    return []


@dataclass(frozen=True)
class ContactFacts:
    """A contact after normalisation."""

    name: str
    relationship: str
    phone: str
    has_key: bool


def contacts_problems(
    contacts: Sequence[ContactFacts], field: str = "contacts"
) -> list[FieldProblem]:
    """Every contact needs a valid phone; the same phone may not appear twice."""
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for index, contact in enumerate(contacts):
        where = f"{field}.{index}.phone"
        bad = phone_problem(contact.phone, where)
        if bad:
            problems.append(bad)
        elif contact.phone in seen:
            problems.append(
                FieldProblem(where, "duplicate", N_("This contact phone is listed twice."))
            )
        seen.add(contact.phone)
    return problems


def _lifetime_problem(
    field: str, day: date | None, birth: date, today: date, message: str
) -> FieldProblem | None:
    if day is not None and not birth <= day <= today:
        return FieldProblem(field, "date_range", message)
    return None


def status_date_problem(status_date: date | None, birth: date, today: date) -> FieldProblem | None:
    """A status date cannot be in the future nor before birth."""
    message = N_("The date must lie between birth and today.")
    return _lifetime_problem("status_date", status_date, birth, today, message)


def consent_date_problem(
    consent_date: date | None, birth: date, today: date
) -> FieldProblem | None:
    """Consent is given by a living person: not before birth and not in the future."""
    message = N_("The consent date must lie between birth and today.")
    return _lifetime_problem("consent_date", consent_date, birth, today, message)


HIGH_RISK_SITUATIONS = {"alone", "empty_nest"}
HIGH_RISK_GROUPS = {"living_alone", "empty_nest", "left_behind", "no_family"}
KEY_GROUPS = {"disabled", "severe_disability", "lost_only_child"}


def risk_tier(
    age: int,
    living_situation: str,
    groups: Sequence[str],
    economic_status: str,
    capability_level: int | None,
) -> str:
    """Visit risk tier (DOMAIN.md §4, a regional policy): high, key or general."""
    alone_like = living_situation in HIGH_RISK_SITUATIONS or bool(HIGH_RISK_GROUPS & set(groups))
    if age >= 80 and alone_like:
        return "high"
    disabled = capability_level is not None and capability_level >= 3
    if disabled or KEY_GROUPS & set(groups) or economic_status == "extreme_poverty":
        return "key"
    return "general"


def id_lookup(q: str | None) -> str | None:
    """The ID number a search asks for exactly (spaces dropped, x upper-cased), or None."""
    if not q:
        return None
    wanted = q.replace(" ", "").upper()
    return wanted if _FULL_ID.fullmatch(wanted) else None


def lookup_allowed_again(recent: Sequence[datetime], limit: int, now: datetime) -> datetime | None:
    """None while fewer than `limit` lookups fall in the window; else when one leaves it."""
    inside = sorted(t for t in recent if t > now - LOOKUP_WINDOW)
    if len(inside) < limit:
        return None
    return inside[len(inside) - limit] + LOOKUP_WINDOW


MAX_AWAY = timedelta(days=180)  # longer than this is a move (status "moved"), not a stay away


def away_until_problem(until: datetime, now: datetime) -> FieldProblem | None:
    """An away-from-home end time must lie ahead, and at most 180 days ahead."""
    if until <= now:
        return FieldProblem(
            "until", "past", N_("The time the elder is back must lie in the future.")
        )
    if until - now > MAX_AWAY:
        return FieldProblem(
            "until",
            "too_far",
            N_(
                "An elder can be marked away for at most %(days)s days; "
                "for longer, change the elder's status."
            ),
            {"days": MAX_AWAY.days},
        )
    return None


def is_away(away_until: datetime | None, now: datetime) -> bool:
    """Whether the elder is away from home now (inactivity alarms are skipped meanwhile)."""
    return away_until is not None and away_until > now

"""The capacity what-if: the last four weeks of orders replayed with more or moved caregivers.

A street or district administrator names a street and a skill and moves or adds caregivers
there (or changes a day-care centre's opening hours); a job loads the weeks' real orders and
the caregivers as dispatch sees them (the picture of ADR 0007: skills, home facility, working
pattern), and `planner.replay` places every order again, as it is and with the change. The
job keeps the comparison; the page and the API read it back.
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.dispatch import picture, whatif_repository
from yiyang.errors import N_, Forbidden, Invalid
from yiyang.jobs import service as jobs
from yiyang.jobs.models import Job as JobRow
from yiyang.kit.localtime import local_today
from yiyang.planner import replay as rp
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import Job, Point, Window
from yiyang.registry.vocab import Skill
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

KIND = "dispatch.what_if"
PAGE = "/planning/what-if?job={id}"
TITLE = N_("Capacity what-if for %(street)s")
SUMMARY = N_("%(more)s more orders served inside their own street, %(placed)s newly placeable.")
PROGRESS = N_("Replayed %(step)s of %(steps)s days (as it is, then with the change)…")
LOADING = N_("Loading four weeks of orders…")
WEEKS = 4
MAX_COUNT = 50  # caregivers moved or added at once: more is not a plan but a new district
PLANNERS = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN})


@dataclass(frozen=True)
class Scenario:
    """A checked what-if: the change asked for and the days it is replayed over."""

    kind: str
    street_id: int
    skill: str
    count: int
    from_street_id: int | None
    centre_id: int | None
    opens: time | None
    closes: time | None
    first: date
    last: date

    def params(self) -> dict[str, Any]:
        """The scenario as a job's parameters."""
        return {
            "kind": self.kind, "street_id": self.street_id, "skill": self.skill,
            "count": self.count, "from_street_id": self.from_street_id,
            "centre_id": self.centre_id,
            "opens": self.opens.strftime("%H:%M") if self.opens else None,
            "closes": self.closes.strftime("%H:%M") if self.closes else None,
            "first": self.first.isoformat(), "last": self.last.isoformat(),
        }  # fmt: skip

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> Scenario:
        """A scenario back from a job's parameters."""
        return cls(
            p["kind"], int(p["street_id"]), p["skill"], int(p["count"]),
            p.get("from_street_id"), p.get("centre_id"),
            time.fromisoformat(p["opens"]) if p.get("opens") else None,
            time.fromisoformat(p["closes"]) if p.get("closes") else None,
            date.fromisoformat(p["first"]), date.fromisoformat(p["last"]),
        )  # fmt: skip


def require_planner(subject: Subject) -> None:
    """Only the bureau plans: a district administrator, or a street administrator."""
    subject.require(Perm.ORDER_DISPATCH)
    if subject.role not in PLANNERS:
        raise Forbidden(
            N_("Only district and street administrators may plan capacity."), code="planners_only"
        )


def _street(session: Session, subject: Subject, code: str, field: str) -> int:
    """A street the subject may plan for, by code; anything else is an unknown street."""
    for area in whatif_repository.readable_streets(session, subject):
        if area.code == code.strip():
            return area.id
    raise Invalid(N_("Choose one of the streets in the list."), field=field, code="unknown_street")


def _count(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text[:6]) <= MAX_COUNT:
        raise Invalid(
            N_("Enter how many caregivers as a whole number from 1 to %(max)s."),
            field="count",
            max=MAX_COUNT,
        )
    return int(text)


def _clock(text: str, field: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise Invalid(N_("Enter the time as HH:MM."), field=field) from exc


def check(session: Session, subject: Subject, form: Mapping[str, Any], now: datetime) -> Scenario:
    """The scenario the form or the API asks for, each bad value named by its field (422)."""
    require_planner(subject)
    kind = str(form.get("kind") or "")
    if kind not in rp.KINDS:
        raise Invalid(N_("Choose what to change."), field="kind")
    street_id = _street(session, subject, str(form.get("street") or ""), "street")
    skill = str(form.get("skill") or "")
    count, from_id, centre_id, opens, closes = 0, None, None, None, None
    if kind == rp.HOURS:
        centre_id = _centre(session, street_id, str(form.get("centre") or ""))
        opens = _clock(str(form.get("opens") or ""), "opens")
        closes = _clock(str(form.get("closes") or ""), "closes")
        if closes <= opens:
            raise Invalid(N_("The centre must close after it opens."), field="closes")
        skill = ""
    else:
        if skill not in set(Skill):
            raise Invalid(N_("Choose one of the skills in the list."), field="skill")
        count = _count(str(form.get("count") or ""))
        if not whatif_repository.centres(session, [street_id]):
            raise Invalid(N_("This street has no centre to base caregivers at."), field="street")
    if kind == rp.MOVE:
        from_id = _street(session, subject, str(form.get("from_street") or ""), "from_street")
        if from_id == street_id:
            raise Invalid(N_("Move caregivers from another street."), field="from_street")
        members = picture.current(session).members
        have = sum(1 for m in members if m.street_id == from_id and m.skills.get(skill, 0) >= 1)
        if count > have:
            raise Invalid(
                N_("That street has only %(have)s caregivers with this skill."),
                field="count",
                have=have,
            )
    last = local_today(now) - timedelta(days=1)
    first = last - timedelta(days=7 * WEEKS - 1)
    return Scenario(kind, street_id, skill, count, from_id, centre_id, opens, closes, first, last)


def _centre(session: Session, street_id: int, value: str) -> int:
    for f in whatif_repository.centres(session, [street_id]):
        if f.kind == whatif_repository.DAY_CARE and str(f.id) == value.strip():
            return f.id
    raise Invalid(N_("Choose one of the day-care centres of the street."), field="centre")


def submit(
    session: Session, subject: Subject, form: Mapping[str, Any], *, now: datetime, locale: str
) -> JobRow:
    """Check the scenario, then queue its replay for the worker."""
    scenario = check(session, subject, form, now)
    name = whatif_repository.all_streets(session)[scenario.street_id].name
    return jobs.submit(
        session, subject, KIND, scenario.params(), title=TITLE, title_params={"street": name},
        link=PAGE, locale=locale, now=now,
    )  # fmt: skip


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def inputs(session: Session, first: date, last: date) -> tuple[list[rp.PastOrder], list[rp.Worker]]:
    """The days' orders and the caregivers as plain planner inputs."""
    orders = []
    for r in whatif_repository.past_orders(session, first, last):
        start, end = _aware(r.window_start_at), _aware(r.window_end_at)
        latest = max(start, end - timedelta(minutes=r.standard_minutes))
        job = Job(
            order_id=r.id, elder_id=r.elder_id, location=Point(r.lat, r.lon),
            street_id=r.street_id, community_id=r.community_id, window=Window(start, latest),
            duration_min=r.standard_minutes,
            required_skills={s: 1 for s in r.required_skills or ()},
        )  # fmt: skip
        orders.append(rp.PastOrder(job, r.service_date, _aware(r.created_at)))
    pic = picture.current(session)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    shifts = {d: pic.shifts(d) for d in days}
    free, _ = pic.day(first)
    workers = [
        rp.Worker(free[m.staff_id], {d: shifts[d][m.staff_id] for d in days}) for m in pic.members
    ]
    return orders, workers


def change_of(session: Session, s: Scenario) -> rp.Change:
    """The planner's change for a scenario: the target street's centre as the new home."""
    if s.kind == rp.HOURS:
        return rp.Change(rp.HOURS, centre_id=s.centre_id, opens=s.opens, closes=s.closes)
    f = whatif_repository.centres(session, [s.street_id])[0]
    home = rp.Home(f.id, f.street_id, f.community_id, Point(f.lat, f.lon))
    return rp.Change(s.kind, s.skill, s.count, home, s.from_street_id)


def run(
    session: Session,
    subject: Subject,
    s: Scenario,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Replay the weeks as they are and with the change; the comparison as the job keeps it."""
    started = timer.perf_counter()
    orders, workers = inputs(session, s.first, s.last)
    change = change_of(session, s)
    travel = StraightLineTravel()
    days = len({o.day for o in orders})

    def half(offset: int) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda done, _total: progress(offset + done, 2 * days)

    before = rp.replay(orders, workers, travel, progress=half(0))
    after = rp.replay(orders, rp.apply_change(workers, change), travel, progress=half(days))
    result = rp.compare(before, after)
    names = whatif_repository.all_streets(session)
    shown = {a.id for a in whatif_repository.readable_streets(session, subject)}
    losers, rows = set(result.losers()), result.streets.items()
    return {
        "scenario": s.params(),
        "orders": len(orders),
        "days": days,
        "caregivers": len(workers),
        "before": _totals(result.before),
        "after": _totals(result.after),
        "more_in_street": result.more_in_street,
        "newly_placed": len(result.newly_placed),
        "newly_lost": len(result.newly_lost),
        "travel_saved_min": result.travel_saved_min,
        "reasons_before": dict(result.reasons_before),
        "reasons_after": dict(result.reasons_after),
        "losers": [names[i].name for i in result.losers() if i in names and i in shown],
        "streets": [_street_row(i, names, b, a, i in losers) for i, (b, a) in rows if i in shown],
        "seconds": round(timer.perf_counter() - started, 1),
    }


def _street_row(
    i: int, names: Mapping[int, Any], b: rp.StreetTotals, a: rp.StreetTotals, loses: bool
) -> dict[str, Any]:
    area = names.get(i)
    return {
        "id": i,
        "name": area.name if area else "—",
        "code": area.code if area else "",
        "before": _totals(b),
        "after": _totals(a),
        "loses": loses,
    }


def _totals(t: rp.StreetTotals) -> dict[str, Any]:
    return {
        "orders": t.orders,
        "served": t.served,
        "in_street": t.in_street,
        "unplaceable": t.unplaceable,
        "travel_min": round(t.travel_min, 1),
    }

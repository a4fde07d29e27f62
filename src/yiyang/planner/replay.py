"""Replay past orders through dispatch's `choose` with the supply changed: the capacity what-if.

The bureau asks "what if street B had two more bathing aides?" The answer is the last weeks
of real orders placed again, day by day in the order they were placed, by the same planner
dispatch uses (community, then street, then district; the same feasibility and ranking),
once with the supply as it is and once with the change. A replay starts each day with every
caregiver free, so both runs are measured the same way; continuity is left out (it follows
who happened to serve, which the change itself would alter).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time

from yiyang.kit.localtime import CHINA_TZ
from yiyang.planner.choose import choose
from yiyang.planner.feasibility import has_skills, with_visit
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.types import CaregiverState, Job, Point, TravelModel, Window

MOVE, ADD, HOURS = "move", "add", "hours"
KINDS = (MOVE, ADD, HOURS)
ADDED_BASE = 1 << 50  # staff ids of caregivers a scenario adds, above any real id


@dataclass(frozen=True)
class Worker:
    """A caregiver across the replayed days: who and where (`state`, shifts left empty) and
    the working windows of each local day."""

    state: CaregiverState
    days: Mapping[date, tuple[Window, ...]]


@dataclass(frozen=True)
class PastOrder:
    """An order to place again: the planner's job, its local day and when it was placed."""

    job: Job
    day: date
    placed_at: datetime


@dataclass(frozen=True)
class Home:
    """Where moved or added caregivers are based: a facility of the target street."""

    facility_id: int | None
    street_id: int
    community_id: int | None
    point: Point


@dataclass(frozen=True)
class Change:
    """One scenario: move or add `count` caregivers with `skill` to a street, or set a
    day-care centre's opening hours (its caregivers then work those hours on their days)."""

    kind: str
    skill: str = ""
    count: int = 0
    to: Home | None = None
    from_street: int | None = None
    centre_id: int | None = None
    opens: time | None = None
    closes: time | None = None


@dataclass(frozen=True)
class Outcome:
    """How one order came out: who served it from which street, at what travel, or why not."""

    order_id: int
    street_id: int
    staff_id: int | None
    served_from: int | None  # the winner's street
    tier: str | None
    travel_min: float
    reason: str | None  # unplaceable reason code

    @property
    def in_street(self) -> bool:
        """Served by a caregiver of the order's own street."""
        return self.staff_id is not None and self.served_from == self.street_id


@dataclass
class StreetTotals:
    """One street's orders in a replay: placed, served from inside, unplaceable, travel."""

    orders: int = 0
    served: int = 0
    in_street: int = 0
    unplaceable: int = 0
    travel_min: float = 0.0


@dataclass
class Replay:
    """Every order's outcome and the totals, district-wide and per street of the order."""

    outcomes: list[Outcome] = field(default_factory=list)
    streets: dict[int, StreetTotals] = field(default_factory=dict)
    examined: int = 0  # caregivers whose day was checked, over all orders

    @property
    def total(self) -> StreetTotals:
        """The district's totals."""
        out = StreetTotals()
        for s in self.streets.values():
            out.orders += s.orders
            out.served += s.served
            out.in_street += s.in_street
            out.unplaceable += s.unplaceable
            out.travel_min += s.travel_min
        out.travel_min = round(out.travel_min, 1)
        return out


def apply_change(workers: Sequence[Worker], change: Change | None) -> list[Worker]:
    """The supply with the scenario applied (None: unchanged); the same change gives the same
    supply. Moved caregivers are the skilled ones of the source street, lowest id first; added
    ones copy the skilled caregivers of the target street (else of the district) in id order."""
    if change is None:
        return list(workers)
    if change.kind == HOURS:
        return [_centre_hours(w, change) for w in workers]
    if change.to is None:
        raise ValueError("a move or an add needs a target street")
    skilled = sorted(
        (w for w in workers if has_skills(w.state.skills, {change.skill: 1})),
        key=lambda w: w.state.staff_id,
    )
    if change.kind == MOVE:
        chosen = {w.state.staff_id for w in skilled if w.state.street_id == change.from_street}
        moving = sorted(chosen)[: change.count]
        return [_rehomed(w, change.to) if w.state.staff_id in moving else w for w in workers]
    models = [w for w in skilled if w.state.street_id == change.to.street_id] or skilled
    added = []
    for n in range(change.count if models else 0):
        model = models[n % len(models)]
        copy = replace(model, state=replace(model.state, staff_id=ADDED_BASE + n))
        added.append(_rehomed(copy, change.to))
    return list(workers) + added


def movable_count(workers: Iterable[Worker], skill: str, street_id: int) -> int:
    """Caregivers with the skill based in the street (how many a move can take from it)."""
    return sum(
        1 for w in workers if w.state.street_id == street_id and w.state.skills.get(skill, 0) >= 1
    )


def _rehomed(w: Worker, home: Home) -> Worker:
    state = replace(
        w.state,
        facility_id=home.facility_id,
        street_id=home.street_id,
        community_id=home.community_id,
        home=home.point,
    )
    return replace(w, state=state)


def _centre_hours(w: Worker, change: Change) -> Worker:
    """A caregiver of the centre works its new hours on each of their working days."""
    if w.state.facility_id != change.centre_id or change.opens is None or change.closes is None:
        return w
    days = {}
    for day, shifts in w.days.items():
        if not shifts:
            days[day] = shifts
            continue
        start = datetime.combine(day, change.opens, CHINA_TZ)
        end = datetime.combine(day, change.closes, CHINA_TZ)
        days[day] = (Window(start, end),) if end > start else ()
    return replace(w, days=days)


def replay(
    orders: Sequence[PastOrder],
    workers: Sequence[Worker],
    travel: TravelModel,
    *,
    progress: Callable[[int, int], None] | None = None,
    naive: bool = False,
) -> Replay:
    """Place every order again, day by day in the order placed, each day's caregivers free.

    `naive` rebuilds the planner's inputs for every order (no index kept between orders), the
    baseline the benchmark measures the kept index against; the decisions are the same.
    """
    by_day: dict[date, list[PastOrder]] = {}
    for o in orders:
        by_day.setdefault(o.day, []).append(o)
    result = Replay()
    days = sorted(by_day)
    for n, day in enumerate(days):
        states = [replace(w.state, shifts=w.days.get(day, ())) for w in workers]
        index = CaregiverIndex(s for s in states if s.shifts)
        todays = sorted(by_day[day], key=lambda o: (o.placed_at, o.job.order_id))
        for o in todays:
            pool = list(index) if naive else index
            decision = choose(o.job, pool, travel)
            result.examined += decision.examined
            winner = decision.winner
            if winner is None:
                result.outcomes.append(
                    Outcome(
                        o.job.order_id,
                        o.job.street_id,
                        None,
                        None,
                        None,
                        0.0,
                        decision.unplaceable_reason,
                    )
                )
                continue
            busier = with_visit(index.get(winner.staff_id), o.job, winner.start)
            index.put_busier(busier)
            result.outcomes.append(
                Outcome(
                    o.job.order_id,
                    o.job.street_id,
                    winner.staff_id,
                    busier.street_id,
                    decision.tier,
                    winner.travel_min,
                    None,
                )
            )
        if progress is not None:
            progress(n + 1, len(days))
    result.streets = street_totals(result.outcomes)
    return result


def street_totals(outcomes: Iterable[Outcome]) -> dict[int, StreetTotals]:
    """Totals per street of the order."""
    streets: dict[int, StreetTotals] = {}
    for o in outcomes:
        s = streets.setdefault(o.street_id, StreetTotals())
        s.orders += 1
        if o.staff_id is None:
            s.unplaceable += 1
            continue
        s.served += 1
        s.in_street += o.in_street
        s.travel_min = round(s.travel_min + o.travel_min, 1)
    return streets


@dataclass(frozen=True)
class Comparison:
    """The change against the baseline: gains, travel saved, per street before and after."""

    before: StreetTotals
    after: StreetTotals
    streets: dict[int, tuple[StreetTotals, StreetTotals]]
    newly_placed: list[int]  # orders unplaceable before and placed with the change
    newly_lost: list[int]  # orders placed before and unplaceable with the change
    reasons_before: Mapping[str, int]
    reasons_after: Mapping[str, int]
    travel_both: tuple[float, float] = (0.0, 0.0)  # orders served in both runs: before, after

    @property
    def more_in_street(self) -> int:
        """How many more orders were served inside their own street."""
        return self.after.in_street - self.before.in_street

    @property
    def travel_saved_min(self) -> float:
        """Minutes of travel saved over the orders served in both runs (negative: it costs)."""
        return round(self.travel_both[0] - self.travel_both[1], 1)

    def losers(self) -> list[int]:
        """Streets whose own orders fare worse: fewer served, or fewer served from inside."""
        return sorted(
            s
            for s, (b, a) in self.streets.items()
            if a.served < b.served or a.in_street < b.in_street
        )


def compare(before: Replay, after: Replay) -> Comparison:
    """Set the changed replay beside the baseline, order by order and street by street."""
    was = {o.order_id: o for o in before.outcomes}
    now = {o.order_id: o for o in after.outcomes}
    placed = sorted(i for i, o in now.items() if o.staff_id is not None and was[i].staff_id is None)
    lost = sorted(i for i, o in now.items() if o.staff_id is None and was[i].staff_id is not None)
    both = [i for i, o in now.items() if o.staff_id is not None and was[i].staff_id is not None]
    travel_both = (
        round(sum(was[i].travel_min for i in both), 1),
        round(sum(now[i].travel_min for i in both), 1),
    )
    streets = {
        s: (before.streets.get(s, StreetTotals()), after.streets.get(s, StreetTotals()))
        for s in sorted(before.streets.keys() | after.streets.keys())
    }
    return Comparison(
        before=before.total,
        after=after.total,
        streets=streets,
        newly_placed=placed,
        newly_lost=lost,
        reasons_before=_reasons(before),
        reasons_after=_reasons(after),
        travel_both=travel_both,
    )


def _reasons(r: Replay) -> dict[str, int]:
    return dict(Counter(o.reason for o in r.outcomes if o.reason is not None))

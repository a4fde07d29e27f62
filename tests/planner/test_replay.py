"""replay(): past orders placed again with the supply changed; compare() sets them side by side."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from tests.planner.helpers import DAY, TRAVEL, at, cg, job, w
from yiyang.kit.localtime import CHINA_TZ
from yiyang.planner.choose import choose
from yiyang.planner.feasibility import with_visit
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.replay import (
    ADD,
    ADDED_BASE,
    HOURS,
    MOVE,
    Change,
    Home,
    PastOrder,
    Worker,
    apply_change,
    compare,
    replay,
)
from yiyang.planner.types import CaregiverState, Window

BEILIN, FENGQING = 1, 3  # 北林路街道 (short of bathing aides), 丰庆路街道 (has them)
WENYA, FENGQING_COMMUNITY = 11, 31
D1 = DAY.date()
D2 = D1 + timedelta(days=1)
BEILIN_CENTRE = Home(facility_id=7, street_id=BEILIN, community_id=None, point=at())


def worker(c: CaregiverState, days: tuple[date, ...] = (D1,)) -> Worker:
    """The caregiver with the same shifts on each day given (shifted by whole days)."""
    return Worker(
        replace(c, shifts=()),
        {d: tuple(_on(s, d) for s in c.shifts) for d in days},
    )


def _on(s: Window, d: date) -> Window:
    shift = timedelta(days=(d - D1).days)
    return Window(s.start + shift, s.end + shift)


def order(order_id: int, *, day: date = D1, minute: int = 0, **kw: object) -> PastOrder:
    j = job(order_id=order_id, **kw)  # type: ignore[arg-type]
    if day != D1:
        j = replace(j, window=_on(j.window, day))
    return PastOrder(j, day, datetime.combine(day, time(0, minute), CHINA_TZ))


def beilin_orders(n: int) -> list[PastOrder]:
    """n baths for elders of 文雅社区, 北林路, one after the other."""
    return [
        order(i, minute=i, community=WENYA, street=BEILIN, window=w("08:00", "16:00"))
        for i in range(1, n + 1)
    ]


def fengqing_aides(*ids: int) -> list[Worker]:
    """Bathing aides of 丰庆路's centre, 4 km north, by car."""
    return [
        worker(cg(i, street=FENGQING, community=None, mode="car", home=at(north_m=4000)))
        for i in ids
    ]


def test_two_aides_moved_to_beilin_serve_its_baths_inside_the_street_and_save_travel() -> None:
    orders = beilin_orders(4)
    workers = fengqing_aides(21, 22, 23)
    change = Change(MOVE, skill="bathing", count=2, to=BEILIN_CENTRE, from_street=FENGQING)

    before = replay(orders, workers, TRAVEL)
    after = replay(orders, apply_change(workers, change), TRAVEL)
    result = compare(before, after)

    assert [o.tier for o in before.outcomes] == ["district"] * 4
    assert before.total.in_street == 0
    assert [(o.tier, o.in_street) for o in after.outcomes] == [("street", True)] * 4
    assert {o.staff_id for o in after.outcomes} == {21, 22}  # the lowest ids moved
    assert result.more_in_street == 4
    assert result.newly_placed == [] and result.newly_lost == []
    assert result.travel_saved_min > 0
    assert result.losers() == []  # 丰庆路 has no orders of its own here


def test_moving_aides_away_makes_the_source_street_lose_its_own_orders() -> None:
    orders = beilin_orders(2) + [
        order(10 + i, minute=30 + i, community=FENGQING_COMMUNITY, street=FENGQING,
              location=at(north_m=4000), window=w("08:00", "09:00"))
        for i in range(2)
    ]  # fmt: skip
    workers = fengqing_aides(21, 22)
    change = Change(MOVE, skill="bathing", count=2, to=BEILIN_CENTRE, from_street=FENGQING)

    result = compare(
        replay(orders, workers, TRAVEL), replay(orders, apply_change(workers, change), TRAVEL)
    )

    before, after = result.streets[FENGQING]
    assert (before.served, before.in_street) == (2, 2)
    assert after.in_street == 0  # now served from 北林路, 4 km away
    assert FENGQING in result.losers()
    assert BEILIN not in result.losers()
    assert result.streets[BEILIN][1].in_street == 2


def test_an_added_aide_places_the_baths_nobody_had_room_for() -> None:
    orders = beilin_orders(3)
    # One 北林路 aide with room for one bath a day.
    workers = [worker(cg(1, street=BEILIN, community=WENYA, capacity=60))]
    change = Change(ADD, skill="bathing", count=2, to=BEILIN_CENTRE)

    before = replay(orders, workers, TRAVEL)
    after = replay(orders, apply_change(workers, change), TRAVEL)
    result = compare(before, after)

    assert [o.reason for o in before.outcomes] == [None, "capacity", "capacity"]
    assert result.reasons_before == {"capacity": 2}
    assert result.newly_placed == [2, 3]
    assert {o.staff_id for o in after.outcomes} == {1, ADDED_BASE, ADDED_BASE + 1}
    assert result.after.unplaceable == 0
    # The added aides copy the street's own aide: same shifts and capacity, at the centre.
    added = apply_change(workers, change)[1]
    assert added.days == workers[0].days and added.state.capacity_minutes == 60
    assert added.state.street_id == BEILIN and added.state.facility_id == 7


def test_adding_to_a_street_without_the_skill_copies_aides_from_the_district() -> None:
    workers = [*fengqing_aides(21), worker(cg(2, street=BEILIN, skills={"cleaning": 2}))]
    added = apply_change(workers, Change(ADD, skill="bathing", count=1, to=BEILIN_CENTRE))[-1]
    assert added.state.skills == {"bathing": 3}
    assert added.state.street_id == BEILIN and added.state.home == BEILIN_CENTRE.point


def test_a_move_takes_only_skilled_caregivers_of_the_source_street() -> None:
    workers = [
        worker(cg(5, street=FENGQING, skills={"cleaning": 2})),
        worker(cg(6, street=FENGQING)),
        worker(cg(4, street=2)),
    ]
    moved = apply_change(
        workers, Change(MOVE, skill="bathing", count=3, to=BEILIN_CENTRE, from_street=FENGQING)
    )
    assert [x.state.street_id for x in moved] == [FENGQING, BEILIN, 2]


def _local(d: date, hhmm: str) -> datetime:
    h, m = hhmm.split(":")
    return datetime.combine(d, time(int(h), int(m)), CHINA_TZ)


def test_longer_day_centre_hours_place_the_evening_baths() -> None:
    evening = Window(_local(D1, "18:00"), _local(D1, "18:30"))  # start of service
    orders = [order(1, window=evening), order(2, window=evening, minute=1)]
    centre_aide = cg(1, shifts=(Window(_local(D1, "08:00"), _local(D1, "17:00")),))
    centre_aide = replace(centre_aide, facility_id=7)
    other = cg(2, shifts=(Window(_local(D1, "08:00"), _local(D1, "17:00")),))
    workers = [worker(centre_aide), worker(other)]
    change = Change(HOURS, centre_id=7, opens=time(8, 0), closes=time(20, 30))

    result = compare(
        replay(orders, workers, TRAVEL), replay(orders, apply_change(workers, change), TRAVEL)
    )

    assert result.reasons_before == {"shift": 2}
    assert result.newly_placed == [1]  # one aide, one evening bath: the second still waits
    assert result.reasons_after == {"shift": 1}  # the other aide still ends at 17:00
    changed = apply_change(workers, change)
    assert changed[0].days[D1] == (Window(_local(D1, "08:00"), _local(D1, "20:30")),)
    assert changed[1] == workers[1]  # not the centre's


def test_no_change_reproduces_the_baseline_and_a_direct_replay() -> None:
    orders = [
        order(i, day=d, minute=(7 * i) % 60, community=c, street=s, location=at(north_m=m),
              window=w("08:00", "12:00"))
        for i, (d, c, s, m) in enumerate(
            [(D1, WENYA, BEILIN, 0), (D1, 31, FENGQING, 4000), (D2, WENYA, BEILIN, 300)] * 5,
            start=1,
        )
    ]  # fmt: skip
    workers = [worker(cg(1, street=BEILIN, capacity=180), (D1, D2)), *fengqing_aides(21)]
    baseline = replay(orders, workers, TRAVEL)

    assert replay(orders, apply_change(workers, None), TRAVEL) == baseline
    assert replay(orders, workers, TRAVEL, naive=True).outcomes == baseline.outcomes

    # Directly: each day, everyone free, orders in the order placed, winners committed.
    direct = []
    for d in (D1, D2):
        index = CaregiverIndex(replace(x.state, shifts=x.days[d]) for x in workers if x.days.get(d))
        for o in sorted(
            (o for o in orders if o.day == d), key=lambda o: (o.placed_at, o.job.order_id)
        ):
            decision = choose(o.job, index, TRAVEL)
            if decision.winner:
                index.put(
                    with_visit(index.get(decision.winner.staff_id), o.job, decision.winner.start)
                )
            direct.append((o.job.order_id, decision.winner.staff_id if decision.winner else None))
    assert [(o.order_id, o.staff_id) for o in baseline.outcomes] == direct
    assert baseline.total.orders == 15
    assert baseline.total.served == sum(1 for _, s in direct if s is not None)


def test_progress_is_told_once_a_day() -> None:
    seen: list[tuple[int, int]] = []
    orders = [order(1), order(2, day=D2)]
    replay(orders, fengqing_aides(21), TRAVEL, progress=lambda d, n: seen.append((d, n)))
    assert seen == [(1, 2), (2, 2)]

"""The capacity what-if: four weeks of real orders replayed with a change, checked and scoped."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district
from yiyang.dispatch import whatif
from yiyang.errors import Forbidden, Invalid
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.models import ServiceOrder
from yiyang.planner import replay as rp
from yiyang.planner.travel import StraightLineTravel
from yiyang.registry.catalog.models import ServicePrice
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.security.subject import Subject


def past_order(
    db: Session, d: District, elder: Elder, day: date, *, hour: int = 10, status: str = "completed"
) -> ServiceOrder:
    """A bath on a past local day with a two-hour window (as dispatch left it)."""
    price = db.scalar(select(ServicePrice).where(ServicePrice.item_id == d.item.id))
    assert price is not None
    start = datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TZ)
    o = ServiceOrder(
        elder_id=elder.id, item_id=d.item.id, channel="phone", window_start_at=start,
        window_end_at=start + timedelta(hours=2), service_date=day, status=status,
        price_id=price.id, price_fen=5000, elder_fen=5000, standard_minutes=60,
        created_at=start - timedelta(days=1),
    )  # fmt: skip
    db.add(o)
    db.flush()
    return o


def weekdays_before(today: date, n: int) -> list[date]:
    days: list[date] = []
    d = today - timedelta(days=1)
    while len(days) < n:
        if d.weekday() < 5:
            days.append(d)
        d -= timedelta(days=1)
    return days


@pytest.fixture
def world(db: Session, clock: FakeClock) -> District:
    return seed(db, clock)


def seed(db: Session, clock: FakeClock) -> District:
    """Street A's elders bathed from street B (A has no bathing aide) on six past weekdays."""
    d = make_district(db)
    make_caregiver(db, d.f_b1, name="b-aide-1")
    make_caregiver(db, d.f_b1, name="b-aide-2")
    make_caregiver(db, d.f_a1, skills={"cleaning": 3}, name="a-cleaner")
    today = local_today(clock.now)
    for day in weekdays_before(today, 6):
        past_order(db, d, d.elder, day)
    past_order(db, d, d.elder, today - timedelta(days=2), status="cancelled")  # not replayed
    past_order(db, d, d.elder, today - timedelta(days=40))  # older than four weeks
    b_elder = make_elder(db, d.tree.comm_b1, lat_lon=(34.7805, 113.7305))
    past_order(db, d, b_elder, weekdays_before(today, 1)[0], hour=9)
    return d


@pytest.fixture
def admin(db: Session) -> Subject:
    return make_user(db, Role.DISTRICT_ADMIN)[1]


def add_form(d: District, **kw: str) -> dict[str, str]:
    return {"kind": "add", "street": d.tree.street_a.code, "skill": "bathing", "count": "1"} | kw


def test_one_aide_added_to_street_a_serves_its_baths_at_home_as_the_pure_replay_says(
    db: Session, world: District, clock: FakeClock, admin: Subject
) -> None:
    scenario = whatif.check(db, admin, add_form(world), clock.now)
    data = whatif.run(db, admin, scenario)

    assert data["orders"] == 7 and data["days"] == 6  # cancelled and older ones left out
    assert data["before"]["in_street"] == 1  # only street B's own bath
    assert data["after"]["in_street"] == 7
    assert data["more_in_street"] == 6 and data["newly_placed"] == 0
    assert data["travel_saved_min"] > 0 and data["losers"] == []
    rows = {r["code"]: r for r in data["streets"]}
    assert rows[world.tree.street_a.code]["after"]["in_street"] == 6

    # The same replay called directly on the same inputs gives the same totals.
    orders, workers = whatif.inputs(db, scenario.first, scenario.last)
    travel = StraightLineTravel()
    before = rp.replay(orders, workers, travel)
    after = rp.replay(orders, rp.apply_change(workers, whatif.change_of(db, scenario)), travel)
    assert data["before"]["served"] == before.total.served
    assert data["after"]["in_street"] == after.total.in_street
    assert data["travel_saved_min"] == rp.compare(before, after).travel_saved_min
    # And with no change the replay is the baseline.
    assert rp.replay(orders, rp.apply_change(workers, None), travel).total == before.total


def test_moving_street_b_aides_to_a_makes_street_b_lose(
    db: Session, world: District, clock: FakeClock, admin: Subject
) -> None:
    form = {"kind": "move", "street": world.tree.street_a.code, "skill": "bathing",
            "count": "2", "from_street": world.tree.street_b.code}  # fmt: skip
    data = whatif.run(db, admin, whatif.check(db, admin, form, clock.now))
    assert data["more_in_street"] == 5  # A gains six, B loses its one
    assert data["losers"] == [world.tree.street_b.name]


def test_longer_hours_of_a_day_care_centre_are_replayed(
    db: Session, world: District, clock: FakeClock, admin: Subject
) -> None:
    form = {"kind": "hours", "street": world.tree.street_b.code,
            "centre": str(world.f_b1.id), "opens": "07:00", "closes": "21:00"}  # fmt: skip
    scenario = whatif.check(db, admin, form, clock.now)
    assert scenario.centre_id == world.f_b1.id and scenario.skill == ""
    data = whatif.run(db, admin, scenario)
    assert data["after"]["served"] == data["before"]["served"] == 7


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "hire"}, "kind"),
        ({"street": "nowhere"}, "street"),
        ({"skill": "juggling"}, "skill"),
        ({"count": "0"}, "count"),
        ({"count": "-3"}, "count"),
        ({"count": "51"}, "count"),
        ({"count": "999999999999"}, "count"),
        ({"count": "two"}, "count"),
        ({"kind": "move", "from_street": ""}, "from_street"),
        ({"kind": "move", "from_street": "A"}, "from_street"),  # replaced by street A's code
        ({"kind": "move", "from_street": "B", "count": "3"}, "count"),  # B has two aides
        ({"kind": "hours", "centre": "0"}, "centre"),
        ({"kind": "hours", "centre": "F", "opens": "8 am", "closes": "20:00"}, "opens"),
        ({"kind": "hours", "centre": "F", "opens": "20:00", "closes": "08:00"}, "closes"),
    ],
)
def test_bad_input_names_its_field(
    db: Session,
    world: District,
    clock: FakeClock,
    admin: Subject,
    change: dict[str, str],
    field: str,
) -> None:
    codes = {"A": world.tree.street_a.code, "B": world.tree.street_b.code}
    form = add_form(world) | {k: codes.get(v, v) for k, v in change.items()}
    if form.get("centre") == "F":
        form["centre"] = str(world.f_a1.id)
    with pytest.raises(Invalid) as caught:
        whatif.check(db, admin, form, clock.now)
    assert caught.value.field == field and caught.value.status_code == 422


def test_a_street_admin_plans_only_for_their_street_and_sees_only_its_row(
    db: Session, world: District, clock: FakeClock
) -> None:
    _, street_a = make_user(db, Role.STREET_ADMIN, area=world.tree.street_a)
    with pytest.raises(Invalid) as caught:
        whatif.check(db, street_a, add_form(world, street=world.tree.street_b.code), clock.now)
    assert caught.value.field == "street"
    form = add_form(world, kind="move", from_street=world.tree.street_b.code)
    with pytest.raises(Invalid) as caught:
        whatif.check(db, street_a, form, clock.now)
    assert caught.value.field == "from_street"  # another street's caregivers are not theirs
    data = whatif.run(db, street_a, whatif.check(db, street_a, add_form(world), clock.now))
    assert [r["code"] for r in data["streets"]] == [world.tree.street_a.code]


def test_only_the_bureau_plans(db: Session, world: District, clock: FakeClock) -> None:
    for role in (Role.OPERATOR, Role.CAREGIVER, Role.PROVIDER_ADMIN):
        _, who = make_user(db, role)
        with pytest.raises(Forbidden):
            whatif.check(db, who, add_form(world), clock.now)

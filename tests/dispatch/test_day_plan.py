"""Re-planning tomorrow: crossed rounds are uncrossed, fixed visits stay, all or nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district
from yiyang import worker
from yiyang.config import Settings
from yiyang.dispatch import day_plan, repository, service
from yiyang.dispatch.models import DispatchQueueItem
from yiyang.errors import Forbidden, Invalid
from yiyang.jobs import tasks as job_tasks
from yiyang.jobs import timer_runner as runner
from yiyang.jobs import timers
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders import recurring
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.elders.models import Elder
from yiyang.registry.staff.models import Staff
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

SETTINGS = Settings(secret_key="x")
WEST_OF_A1 = (34.8010, 113.6625)  # about 900 m west of the centre in community a1
EAST_OF_A2 = (34.8050, 113.6900)  # about 900 m east of the centre in community a2


@pytest.fixture
def district(db: Session) -> District:
    return make_district(db)


@pytest.fixture
def dispatcher(db: Session) -> Subject:
    return make_user(db, Role.DISTRICT_ADMIN)[1]


def tomorrow(clock: FakeClock, hhmm: str) -> datetime:
    """A local clock time tomorrow."""
    local = clock.now.astimezone(CHINA_TZ) + timedelta(days=1)
    h, m = hhmm.split(":")
    return local.replace(hour=int(h), minute=int(m), second=0, microsecond=0)


def order(db: Session, clock: FakeClock, elder: Elder, start: str = "10:00") -> ServiceOrder:
    """A bath tomorrow with a two-hour window, placed by automatic dispatch."""
    _, operator = make_user(db, Role.OPERATOR)
    begin = tomorrow(clock, start)
    data = OrderCreate(
        elder_id=elder.id, item_code="bath_home", window_start=begin,
        window_end=begin + timedelta(hours=2),
    )  # fmt: skip
    return service.submit_order(db, operator, data, now=clock.now, settings=SETTINGS)


def crossed(db: Session, d: District, clock: FakeClock) -> tuple[Staff, Staff, list[ServiceOrder]]:
    """Two caregivers of one street, each sent past the other: (near, far) for the first."""
    east = make_caregiver(db, d.f_a2, name="east")  # the only one when the first order comes
    west_elder = make_elder(db, d.tree.comm_a1, lat_lon=WEST_OF_A1)
    east_elder = make_elder(db, d.tree.comm_a2, lat_lon=EAST_OF_A2)
    first = order(db, clock, west_elder)
    west = make_caregiver(db, d.f_a1, name="west")
    second = order(db, clock, east_elder)  # east is still at the first elder's then
    assert (first.staff_id, second.staff_id) == (east.id, west.id)
    return west, east, [first, second]


def test_apply_uncrosses_rounds_with_a_decision_and_a_timeline_row(
    db: Session, district: District, clock: FakeClock, dispatcher: Subject
) -> None:
    near, far, (first, second) = crossed(db, district, clock)
    day = tomorrow(clock, "00:00").date()
    outcome = day_plan.apply(db, dispatcher, day, now=clock.now, settings=SETTINGS)
    assert outcome.applied and outcome.movable == 2 and outcome.reassigned == 2
    assert outcome.travel_after_min < outcome.travel_before_min
    assert (first.staff_id, second.staff_id) == (near.id, far.id)
    for o in (first, second):
        assert o.status == "assigned" and o.caregiver_status == "offered"
        decision = repository.current_decision(db, o.id)
        assert decision is not None and decision.tier == "day_plan"
        assert decision.outcome == "offered" and decision.decided_by_id == dispatcher.user_id
        last = db.scalars(
            select(OrderEvent).where(OrderEvent.order_id == o.id).order_by(OrderEvent.id.desc())
        ).first()
        assert last is not None and (last.event, last.reason) == ("reassign", "day_plan")
        # The new caregiver may answer until two hours before the visit, not within minutes.
        (expiry,) = timers.pending(db, service.CAREGIVER_OFFER_EXPIRY, o.id)
        assert o.planned_start_at is not None
        assert expiry.due_at == o.planned_start_at - timedelta(minutes=120)
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "dispatch.day_plan"))


def test_an_order_placed_while_planning_makes_the_plan_again_on_fresh_days(
    db: Session,
    district: District,
    clock: FakeClock,
    dispatcher: Subject,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    near, far, _ = crossed(db, district, clock)
    real_plan_day, plans = day_plan.plan_day, []
    late_elder = make_elder(db, district.tree.comm_a1, lat_lon=WEST_OF_A1)

    def an_order_arrives_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        plans.append(real_plan_day(*args, **kwargs))
        if len(plans) == 1:  # as if placed by another request during the seconds of planning
            assert order(db, clock, late_elder, "10:30").staff_id in (near.id, far.id)
        return plans[-1]

    monkeypatch.setattr(day_plan, "plan_day", an_order_arrives_meanwhile)
    outcome = day_plan.apply(
        db, dispatcher, tomorrow(clock, "00:00").date(), now=clock.now, settings=SETTINGS
    )
    assert outcome.applied and len(plans) == 2
    held = db.scalars(
        select(ServiceOrder).where(ServiceOrder.staff_id.in_([near.id, far.id]))
    ).all()
    assert len(held) == 3
    for a in held:  # nobody has two visits at once
        for b in held:
            assert (
                a.id == b.id
                or a.staff_id != b.staff_id
                or not (
                    a.planned_start_at < b.planned_end_at and b.planned_start_at < a.planned_end_at
                )
            )


def test_propose_changes_nothing(
    db: Session, district: District, clock: FakeClock, dispatcher: Subject
) -> None:
    near, far, (first, second) = crossed(db, district, clock)
    before = [(o.staff_id, o.status, o.planned_start_at) for o in (first, second)]
    outcome = day_plan.propose(
        db, dispatcher, tomorrow(clock, "00:00").date(), now=clock.now, settings=SETTINGS
    )
    assert not outcome.applied and outcome.reassigned == 2
    assert {(m.from_staff_id, m.to_staff_id) for m in outcome.moves} == {
        (far.id, near.id),
        (near.id, far.id),
    }
    assert [(o.staff_id, o.status, o.planned_start_at) for o in (first, second)] == before


def test_keeping_short_trips_changes_fewer_caregivers(
    db: Session, district: District, clock: FakeClock, dispatcher: Subject
) -> None:
    crossed(db, district, clock)
    day = tomorrow(clock, "00:00").date()
    calm = day_plan.propose(db, dispatcher, day, now=clock.now, settings=SETTINGS, keep_within=15)
    assert calm.reassigned == 0  # both trips are under a quarter of an hour
    with pytest.raises(Invalid) as bad:
        day_plan.propose(db, dispatcher, day, now=clock.now, keep_within=90, settings=SETTINGS)
    assert bad.value.field == "keep_within"


def test_pinned_started_and_soon_visits_stay(
    db: Session, district: District, clock: FakeClock, dispatcher: Subject
) -> None:
    _near, far, (first, _second) = crossed(db, district, clock)
    first.pinned = True
    db.flush()
    day = tomorrow(clock, "00:00").date()
    outcome = day_plan.apply(db, dispatcher, day, now=clock.now, settings=SETTINGS)
    assert first.staff_id == far.id  # pinned by a dispatcher
    assert outcome.movable == 1
    # Ninety minutes before the visits, inside the freeze of two hours: nothing moves.
    first.pinned = False
    late = tomorrow(clock, "08:30")
    assert day_plan.propose(db, dispatcher, day, now=late, settings=SETTINGS).movable == 0


def test_a_queued_order_is_placed_and_leaves_the_queue(
    db: Session, district: District, clock: FakeClock, dispatcher: Subject
) -> None:
    elder = make_elder(db, district.tree.comm_a1, lat_lon=WEST_OF_A1)
    waiting = order(db, clock, elder)
    assert waiting.status == "queued"  # nobody can bathe anyone yet
    helper = make_caregiver(db, district.f_a1)
    day = tomorrow(clock, "00:00").date()
    outcome = day_plan.apply(db, dispatcher, day, now=clock.now, settings=SETTINGS)
    assert outcome.waiting_placed == 1
    assert waiting.staff_id == helper.id and waiting.status == "assigned"
    item = db.scalar(select(DispatchQueueItem).where(DispatchQueueItem.order_id == waiting.id))
    assert item is not None and item.resolution == "day_plan"


def test_only_a_district_dispatcher_for_a_day_to_come(
    db: Session, district: District, clock: FakeClock, dispatcher: Subject
) -> None:
    day = tomorrow(clock, "00:00").date()
    _, street_admin = make_user(db, Role.STREET_ADMIN, area=district.tree.street_a)
    _, family = make_user(db, Role.FAMILY, elder=district.elder)
    for subject in (street_admin, family):
        with pytest.raises(Forbidden):
            day_plan.apply(db, subject, day, now=clock.now, settings=SETTINGS)
    with pytest.raises(Invalid) as passed:
        day_plan.propose(db, dispatcher, day - timedelta(days=3), now=clock.now, settings=SETTINGS)
    assert passed.value.field == "day"
    with pytest.raises(Invalid):
        day_plan.propose(db, dispatcher, day + timedelta(days=90), now=clock.now, settings=SETTINGS)


def test_nightly_timer_plans_tomorrow_and_schedules_the_next_night(
    db: Session, district: District, clock: FakeClock
) -> None:
    near, _far, (first, _second) = crossed(db, district, clock)
    nightly = Settings(secret_key="x", dispatch_day_plan_at="20:00")
    assert day_plan.next_run(clock.now, Settings(secret_key="x")) is None  # off by default
    day_plan.ensure_nightly(db, clock.now, nightly)
    day_plan.ensure_nightly(db, clock.now, nightly)  # once only
    (timer,) = timers.pending(db, day_plan.NIGHTLY)
    assert timer.due_at.astimezone(CHINA_TZ).hour == 20
    clock.now = timer.due_at
    outcome = day_plan.run_nightly(db, timer, now=clock.now, settings=nightly)
    assert outcome.reassigned == 2 and first.staff_id == near.id
    fired_now, following = timers.pending(db, day_plan.NIGHTLY)  # the runner marks the first
    assert fired_now is timer and following.due_at - timer.due_at == timedelta(days=1)
    day_plan.run_nightly(db, timer, now=clock.now, settings=nightly)  # run twice: no doubling
    assert len(timers.pending(db, day_plan.NIGHTLY)) == 2
    assert day_plan.NIGHTLY in runner.HANDLERS


def test_worker_start_re_arms_the_daily_timers(db: Session, clock: FakeClock) -> None:
    factory = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    settings = Settings(secret_key="x", dispatch_day_plan_at="20:30")
    worker.ensure_standing_timers(factory, clock, settings)
    worker.ensure_standing_timers(factory, clock, settings)  # a second start adds nothing
    assert len(timers.pending(db, recurring.EXPAND)) == 1
    assert len(timers.pending(db, job_tasks.CLEANUP)) == 1
    (nightly,) = timers.pending(db, day_plan.NIGHTLY)
    assert nightly.due_at.astimezone(CHINA_TZ).strftime("%H:%M") == "20:30"

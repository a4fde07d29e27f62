"""Dispatch at the service level on a small district: tiers, skills, windows, queue, offers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

import yiyang.dispatch.tasks  # noqa: F401 — registers the timer handlers
from tests.builders import make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district, window
from yiyang.config import Settings
from yiyang.dispatch import booking, repository, service
from yiyang.dispatch.booking import DoubleBooked
from yiyang.dispatch.models import DispatchDecision
from yiyang.dispatch.wording import explanation
from yiyang.errors import Forbidden, Invalid
from yiyang.jobs import timer_runner as runner
from yiyang.jobs import timers
from yiyang.orders import repository as order_repository
from yiyang.orders.models import ServiceOrder
from yiyang.orders.rules import IllegalTransition
from yiyang.orders.schemas import OrderCreate
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

SETTINGS = Settings(secret_key="x")


@pytest.fixture
def district(db: Session) -> District:
    return make_district(db)


def _submit(
    db: Session, d: District, clock: FakeClock, subject: Subject | None = None, **kw
) -> ServiceOrder:  # type: ignore[no-untyped-def]
    if subject is None:
        _, subject = make_user(db, Role.OPERATOR)
    start, end = window(clock.now, hours=kw.pop("hours", 2), length_min=kw.pop("length_min", 120))
    data = OrderCreate(
        elder_id=d.elder.id, item_code=kw.pop("item_code", "bath_home"),
        window_start=start, window_end=end,
    )  # fmt: skip
    return service.submit_order(db, subject, data, now=clock.now, settings=SETTINGS, **kw)


def _latest(db: Session, order_id: int) -> DispatchDecision:
    decision = repository.current_decision(db, order_id)
    assert decision is not None
    return decision


def test_community_first(db: Session, district: District, clock: FakeClock) -> None:
    near = make_caregiver(db, district.f_a1)
    make_caregiver(db, district.f_a2)
    make_caregiver(db, district.f_b1)
    order = _submit(db, district, clock)
    decision = _latest(db, order.id)
    assert order.status == "offered" and order.staff_id == near.id
    assert order.provider_id == district.p1.id and order.provider_status == "offered"
    assert decision.tier == "community" and decision.candidates[0]["staff_id"] == near.id
    assert "community" in explanation("en", decision.explanation_lines)
    assert timers.pending(db, service.ORG_OFFER_EXPIRY, order.id)


def test_escalates_to_street_then_district(
    db: Session, district: District, clock: FakeClock
) -> None:
    make_caregiver(db, district.f_a1, pattern={})  # not working today
    make_caregiver(db, district.f_a2, skills={"cleaning": 3})  # wrong skill
    far = make_caregiver(db, district.f_b1)
    order = _submit(db, district, clock)
    decision = _latest(db, order.id)
    assert (order.staff_id, decision.tier) == (far.id, "district")
    assert decision.rejected.get("skill") == 1 and decision.rejected.get("shift") == 1
    street = make_caregiver(db, district.f_a2)
    order2 = _submit(db, district, clock, hours=5)
    assert order2.staff_id == street.id and _latest(db, order2.id).tier == "street"


def test_busy_caregiver_is_not_booked_twice(
    db: Session, district: District, clock: FakeClock
) -> None:
    only = make_caregiver(db, district.f_a1)
    first = _submit(db, district, clock)
    assert first.staff_id == only.id
    second = _submit(db, district, clock)  # same window, only one caregiver, 60 min in 120
    decision = _latest(db, second.id)
    if second.staff_id == only.id:  # fits after the first visit within the window
        assert second.planned_start_at is not None and first.planned_start_at is not None
        assert second.planned_start_at >= first.planned_start_at + timedelta(minutes=60)
    else:
        assert second.status == "queued" and decision.unplaceable_reason == "busy"


def test_unplaceable_goes_to_queue_with_reason(
    db: Session, district: District, clock: FakeClock
) -> None:
    make_caregiver(db, district.f_a1, skills={"cleaning": 2})
    order = _submit(db, district, clock)
    assert order.status == "queued" and order.staff_id is None
    _, op = make_user(db, Role.OPERATOR)
    items = service.queue(db, op)
    assert [(i.order_id, i.reason_code) for i, _ in items] == [(order.id, "skill")]
    assert "Bathing" in explanation("en", _latest(db, order.id).explanation_lines)
    assert "助浴" in explanation("zh_CN", _latest(db, order.id).explanation_lines)
    _, family = make_user(db, Role.FAMILY, elder=district.elder)
    with pytest.raises(Forbidden):
        service.queue(db, family)


def test_org_accepts_then_caregiver_accepts(
    db: Session, district: District, clock: FakeClock
) -> None:
    cg = make_caregiver(db, district.f_a1)
    order = _submit(db, district, clock)
    _, prov = make_user(db, Role.PROVIDER_ADMIN, provider=district.p1)
    service.act(db, prov, order.id, "org_accept", now=clock.now, settings=SETTINGS)
    assert (order.status, order.caregiver_status) == ("assigned", "offered")
    assert not timers.pending(db, service.ORG_OFFER_EXPIRY, order.id)
    assert timers.pending(db, service.CAREGIVER_OFFER_EXPIRY, order.id)
    _, carer = make_user(db, Role.CAREGIVER, provider=district.p1, staff_id=cg.id)
    service.act(db, carer, order.id, "caregiver_accept", now=clock.now, settings=SETTINGS)
    assert order.status == "caregiver_accepted" and _latest(db, order.id).outcome == "accepted"
    assert not timers.pending(db, service.CAREGIVER_OFFER_EXPIRY, order.id)


def test_refusals_redispatch_without_those_who_refused(
    db: Session, district: District, clock: FakeClock
) -> None:
    a1 = make_caregiver(db, district.f_a1)
    a2 = make_caregiver(db, district.f_a2)
    b1 = make_caregiver(db, district.f_b1)
    order = _submit(db, district, clock)
    assert order.staff_id == a1.id
    _, prov1 = make_user(db, Role.PROVIDER_ADMIN, provider=district.p1)
    service.act(db, prov1, order.id, "org_refuse", now=clock.now, reason="full", settings=SETTINGS)
    assert (order.status, order.staff_id) == ("offered", a2.id)
    _, prov2 = make_user(db, Role.PROVIDER_ADMIN, provider=district.p2)
    service.act(db, prov2, order.id, "org_accept", now=clock.now, settings=SETTINGS)
    _, carer = make_user(db, Role.CAREGIVER, provider=district.p2, staff_id=a2.id)
    service.act(
        db, carer, order.id, "caregiver_refuse", now=clock.now, reason="ill", settings=SETTINGS
    )
    assert (order.status, order.staff_id) == ("offered", b1.id)
    outcomes = [d.outcome for d in repository.decisions(db, order.id)]
    assert outcomes == ["org_refused", "caregiver_refused", "offered"]

    events = [e.event for e in order_repository.timeline(db, order.id)]
    assert events == [
        "create", "price", "offer", "org_refuse", "offer", "org_accept", "assign",
        "caregiver_refuse", "offer",
    ]  # fmt: skip


def test_an_organisation_sends_another_of_its_caregivers_only_if_they_are_free(
    db: Session, district: District, clock: FakeClock
) -> None:
    make_caregiver(db, district.f_a1)
    make_caregiver(db, district.f_a1)
    first = _submit(db, district, clock, length_min=60)  # one possible start each
    second = _submit(db, district, clock, length_min=60)
    assert first.staff_id and second.staff_id and first.staff_id != second.staff_id
    _, prov = make_user(db, Role.PROVIDER_ADMIN, provider=district.p1)
    with pytest.raises(DoubleBooked) as refused:
        service.act(
            db, prov, second.id, "org_accept", staff_id=first.staff_id, now=clock.now,
            settings=SETTINGS,
        )  # fmt: skip
    assert refused.value.params["order"] == first.id and refused.value.status_code == 409
    assert (second.status, second.staff_id) == ("offered", second.staff_id)
    free = make_caregiver(db, district.f_a1)
    service.act(
        db, prov, second.id, "org_accept", staff_id=free.id, now=clock.now, settings=SETTINGS
    )
    assert (second.status, second.staff_id) == ("assigned", free.id)
    assert second.planned_start_at is not None
    assert second.planned_end_at == second.planned_start_at + timedelta(minutes=60)


def test_provider_cannot_act_on_other_providers_order(
    db: Session, district: District, clock: FakeClock
) -> None:
    make_caregiver(db, district.f_a1)
    order = _submit(db, district, clock)
    _, prov2 = make_user(db, Role.PROVIDER_ADMIN, provider=district.p2)
    from yiyang.errors import NotFound

    with pytest.raises(NotFound):
        service.act(db, prov2, order.id, "org_accept", now=clock.now, settings=SETTINGS)
    _, prov1 = make_user(db, Role.PROVIDER_ADMIN, provider=district.p1)
    with pytest.raises(IllegalTransition):
        service.act(db, prov1, order.id, "complete", now=clock.now, settings=SETTINGS)


def test_manual_assign_pins_and_records_who_and_why(
    db: Session, district: District, clock: FakeClock
) -> None:
    make_caregiver(db, district.f_a1, skills={"cleaning": 2})
    chosen = make_caregiver(db, district.f_b1, pattern={})  # bathes, but not on shift today
    order = _submit(db, district, clock)
    assert order.status == "queued"
    _, family = make_user(db, Role.FAMILY, elder=district.elder)
    with pytest.raises(Forbidden):
        service.assign(
            db, family, order.id, chosen.id, now=clock.now, reason="x", settings=SETTINGS
        )
    _, op = make_user(db, Role.OPERATOR)
    with pytest.raises(Invalid):
        service.assign(db, op, order.id, chosen.id, now=clock.now, reason="  ", settings=SETTINGS)
    service.assign(
        db,
        op,
        order.id,
        chosen.id,
        now=clock.now,
        reason="knows the elder",
        pin=True,
        settings=SETTINGS,
    )
    assert (order.status, order.staff_id, order.pinned) == ("assigned", chosen.id, True)
    decision = _latest(db, order.id)
    assert decision.manual and decision.decided_by_id == op.user_id
    assert decision.reason == "knows the elder"
    assert service.queue(db, op) == []
    _, carer = make_user(db, Role.CAREGIVER, provider=district.p3, staff_id=chosen.id)
    service.act(db, carer, order.id, "caregiver_refuse", now=clock.now, settings=SETTINGS)
    assert order.status == "queued"  # pinned: back to the dispatcher, not re-dispatched


def test_second_dispatch_of_a_placed_order_is_refused(
    db: Session, district: District, clock: FakeClock
) -> None:
    make_caregiver(db, district.f_a1)
    order = _submit(db, district, clock)
    with pytest.raises(service.AlreadyDispatched):
        service.dispatch(db, order.id, now=clock.now, settings=SETTINGS)
    assert len(repository.decisions(db, order.id)) == 1


@pytest.fixture
def connection(db: Session) -> Connection:
    conn = db.connection()
    return conn


def _factory(conn: Connection) -> sessionmaker[Session]:
    """Sessions on the test's connection whose commits are savepoints (rolled back after)."""
    return sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


def test_offer_timeouts_move_on_and_survive_a_restart(
    db: Session, district: District, clock: FakeClock, connection: Connection
) -> None:
    a1 = make_caregiver(db, district.f_a1)
    a2 = make_caregiver(db, district.f_a2)
    order = _submit(db, district, clock)
    db.flush()
    assert order.staff_id == a1.id
    factory = _factory(connection)  # the worker before the "restart": nothing due yet
    assert runner.run_due(factory, clock.now, SETTINGS) == 0
    restarted = _factory(connection)  # a new process: only the timer row carries the offer
    clock.advance(minutes=10)
    assert runner.run_due(restarted, clock.now, SETTINGS) == 1
    db.expire_all()
    order = db.get_one(ServiceOrder, order.id)
    assert (order.status, order.staff_id) == ("offered", a2.id)
    outcomes = [d.outcome for d in repository.decisions(db, order.id)]
    assert outcomes == ["org_timeout", "offered"]
    # The second provider accepts, the caregiver never answers: 5 minutes later, the queue.
    _, prov2 = make_user(db, Role.PROVIDER_ADMIN, provider=district.p2)
    service.act(db, prov2, order.id, "org_accept", now=clock.now, settings=SETTINGS)
    db.flush()
    clock.advance(minutes=4)
    assert runner.run_due(restarted, clock.now, SETTINGS) == 0
    clock.advance(minutes=1)
    assert runner.run_due(restarted, clock.now, SETTINGS) == 1
    db.expire_all()
    order = db.get_one(ServiceOrder, order.id)
    assert order.status == "queued"  # both caregivers excluded now
    assert [d.outcome for d in repository.decisions(db, order.id)][-2:] == [
        "caregiver_timeout",
        "unplaceable",
    ]


def test_stale_timer_does_nothing(
    db: Session, district: District, clock: FakeClock, connection: Connection
) -> None:
    make_caregiver(db, district.f_a1)
    order = _submit(db, district, clock)
    _, op = make_user(db, Role.OPERATOR)
    service.act(
        db, op, order.id, "cancel", now=clock.now, reason="no longer needed", settings=SETTINGS
    )
    db.flush()
    clock.advance(minutes=30)
    assert (
        runner.run_due(_factory(connection), clock.now, SETTINGS) == 0
    )  # cancelled with the order
    assert not service.expire_offer(
        db, order.id, None, step="org", now=clock.now, settings=SETTINGS
    )


def test_a_winner_taken_meanwhile_is_planned_again_then_with_everyone_able_locked(
    db: Session, district: District, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    near = make_caregiver(db, district.f_a1)
    other = make_caregiver(db, district.f_a2)
    make_caregiver(db, district.f_b1, skills={"cleaning": 3})  # cannot win: never locked
    locked: list[list[int]] = []
    real_lock = booking.lock_staff

    def lock_and_note(session: Session, ids: Iterable[int]) -> None:
        locked.append(sorted(ids))
        real_lock(session, ids)

    monkeypatch.setattr(booking, "check", lambda *args: "busy")  # the slot is always gone
    monkeypatch.setattr(booking, "lock_staff", lock_and_note)
    order = _submit(db, district, clock)
    tries = [[near.id]] * booking.OPTIMISTIC_TRIES
    assert locked == [*tries, sorted([near.id, other.id])]
    assert (order.status, order.staff_id) == ("offered", near.id)  # planned on fresh days

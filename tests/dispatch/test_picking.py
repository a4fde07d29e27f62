"""Assignment by hand: ranked candidates in the dispatcher's scope, skills and busy refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import INSIDE_2, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district, make_item, window
from yiyang.config import Settings
from yiyang.dispatch import picking, repository, service
from yiyang.dispatch.booking import DoubleBooked
from yiyang.dispatch.models import DispatchDecision, DispatchQueueItem
from yiyang.dispatch.wording import explanation
from yiyang.errors import Forbidden, Invalid, NotFound
from yiyang.orders import repository as order_repository
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.staff.models import Staff
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

SETTINGS = Settings(secret_key="x")


@pytest.fixture
def district(db: Session) -> District:
    return make_district(db)


@pytest.fixture
def operator(db: Session) -> Subject:
    return make_user(db, Role.OPERATOR)[1]


def _submit(
    db: Session, d: District, clock: FakeClock, who: Subject, *, minutes: int = 60, item: str = ""
) -> ServiceOrder:
    start, end = window(clock.now, hours=2, length_min=minutes)
    data = OrderCreate(
        elder_id=d.elder.id, item_code=item or d.item.code, window_start=start, window_end=end
    )
    return service.submit_order(db, who, data, now=clock.now, settings=SETTINGS)


def _decisions(db: Session, order_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(DispatchDecision)
            .where(DispatchDecision.order_id == order_id)
        )
        or 0
    )


def _assign(db: Session, who: Subject, order: ServiceOrder, staff: Staff, clock: FakeClock, **kw):  # type: ignore[no-untyped-def]
    return service.assign(
        db,
        who,
        order.id,
        staff.id,
        now=clock.now,
        reason="the elder asked",
        settings=SETTINGS,
        **kw,
    )


def test_candidates_rank_free_caregivers_first_then_say_why_not(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    near = make_caregiver(db, district.f_a1, name="近")
    far = make_caregiver(db, district.f_b1, name="远")
    make_caregiver(db, district.f_a2, pattern={}, name="休")
    make_caregiver(db, district.f_a2, skills={"cleaning": 3}, name="保洁")  # no skill needed
    first = _submit(db, district, clock, operator)  # a one-hour window: fills `near`
    assert first.staff_id == near.id
    second = _submit(db, district, clock, operator)
    assert second.staff_id == far.id
    order, choices = picking.candidates(db, operator, second.id, now=clock.now)
    assert order.id == second.id
    assert [(c.name, c.fit.reason, c.fit.tier) for c in choices] == [
        ("远", None, "district"), ("近", "busy", "community"), ("休", "shift", "street"),
    ]  # fmt: skip
    top = choices[0]
    assert top.current and not choices[1].current
    assert top.fit.candidate is not None and top.fit.candidate.start == second.planned_start_at
    assert top.provider == district.p3.name and top.facility == district.f_b1.name


def test_a_caregiver_without_the_skills_is_refused_and_nothing_is_written(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    make_caregiver(db, district.f_a1, pattern={})
    cleaner = make_caregiver(db, district.f_a1, skills={"cleaning": 3})
    order = _submit(db, district, clock, operator)
    assert order.status == "queued"
    before = _decisions(db, order.id)
    with pytest.raises(Invalid) as refused:
        _assign(db, operator, order, cleaner, clock)
    assert refused.value.field == "staff_id"
    assert refused.value.message == "%(name)s does not have the skills this service needs."
    assert (order.status, order.staff_id, _decisions(db, order.id)) == ("queued", None, before)


def test_a_caregiver_lacking_one_of_two_skills_is_listed_with_what_is_missing(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    make_item(db, "bath_nursing", skills=("bathing", "nursing"))
    bather = make_caregiver(db, district.f_a1)
    order = _submit(db, district, clock, operator, item="bath_nursing")
    assert order.status == "queued"
    _, choices = picking.candidates(db, operator, order.id, now=clock.now)
    assert [(c.fit.staff_id, c.fit.reason, c.fit.missing) for c in choices] == [
        (bather.id, "skill", ("nursing",))
    ]
    with pytest.raises(Invalid):
        _assign(db, operator, order, bather, clock)


def test_a_busy_caregiver_is_refused_unless_the_dispatcher_overrides_it(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    only = make_caregiver(db, district.f_a1)
    first = _submit(db, district, clock, operator)
    assert first.planned_end_at is not None
    away = make_elder(db, district.tree.comm_b1, lat_lon=INSIDE_2)
    data = OrderCreate(
        elder_id=away.id, item_code="bath_home", window_start=first.planned_end_at,
        window_end=first.planned_end_at + timedelta(hours=1),
    )  # fmt: skip
    second = service.submit_order(db, operator, data, now=clock.now, settings=SETTINGS)
    assert (first.staff_id, second.status) == (only.id, "queued")  # no time for the trip
    with pytest.raises(Invalid) as refused:
        _assign(db, operator, second, only, clock)
    assert refused.value.field == "override_busy" and "busy" in str(refused.value)
    assert second.status == "queued"
    _assign(db, operator, second, only, clock, override_busy=True)
    assert (second.status, second.staff_id) == ("assigned", only.id)
    assert second.planned_start_at == first.planned_end_at  # as the first ends, not on top
    decision = repository.current_decision(db, second.id)
    assert decision is not None and decision.busy_overridden and decision.manual
    assert decision.tier == "district"
    text = explanation("en", decision.explanation_lines)
    assert "Assigned by hand by operator user: the elder asked." in text
    assert "is busy with another visit at that time: the dispatcher overrode that" in text
    assert "The visit starts at 12:00" in text
    zh = explanation("zh_CN", decision.explanation_lines)
    assert "the dispatcher" not in zh and "服务于 12:00 开始" in zh
    event = order_repository.timeline(db, second.id)[-1]
    assert event.event == "reassign" and event.detail["busy_overridden"] is True


def test_an_override_never_puts_a_visit_on_top_of_another(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    only = make_caregiver(db, district.f_a1)
    first = _submit(db, district, clock, operator)
    second = _submit(db, district, clock, operator)  # the same one-hour window
    before = _decisions(db, second.id)
    with pytest.raises(DoubleBooked) as refused:
        _assign(db, operator, second, only, clock, override_busy=True)
    assert refused.value.status_code == 409 and refused.value.field == "staff_id"
    assert refused.value.params == {
        "name": only.name, "day": "2026-11-23", "start": "11:00", "end": "12:00",
        "order": first.id, "elder": "王**",
    }  # fmt: skip
    assert (second.status, second.staff_id, _decisions(db, second.id)) == ("queued", None, before)


def test_an_override_that_was_not_needed_is_not_recorded(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    make_caregiver(db, district.f_a1)
    other = make_caregiver(db, district.f_a2)
    order = _submit(db, district, clock, operator)
    _assign(db, operator, order, other, clock, override_busy=True)
    decision = repository.current_decision(db, order.id)
    assert decision is not None and not decision.busy_overridden


def test_the_visit_starts_at_the_caregivers_free_slot_not_the_window_start(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    aide = make_caregiver(db, district.f_a1)
    make_caregiver(db, district.f_a2)
    first = _submit(db, district, clock, operator, minutes=180)
    assert first.staff_id == aide.id and first.planned_start_at == first.window_start_at
    second = _submit(db, district, clock, operator, minutes=180)
    _assign(db, operator, second, aide, clock)
    assert second.planned_start_at is not None
    assert second.planned_start_at >= first.window_start_at + timedelta(minutes=60)
    decision = repository.current_decision(db, second.id)
    assert decision is not None and not decision.busy_overridden
    assert "can start at" in explanation("en", decision.explanation_lines)


def test_a_street_dispatcher_sees_and_assigns_only_their_streets_caregivers(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    for f in (district.f_a1, district.f_a2, district.f_b1):
        make_caregiver(db, f, pattern={})
    order = _submit(db, district, clock, operator)
    _, street = make_user(db, Role.STREET_ADMIN, area=district.tree.street_a)
    _, mine = picking.candidates(db, street, order.id, now=clock.now)
    _, everyone = picking.candidates(db, operator, order.id, now=clock.now)
    facilities = {s.id: s.facility_id for s in db.scalars(select(Staff))}
    assert {facilities[c.fit.staff_id] for c in mine} == {district.f_a1.id, district.f_a2.id}
    assert {facilities[c.fit.staff_id] for c in everyone} == {
        district.f_a1.id, district.f_a2.id, district.f_b1.id,
    }  # fmt: skip
    across = next(c for c in everyone if facilities[c.fit.staff_id] == district.f_b1.id)
    with pytest.raises(Invalid) as refused:
        service.assign(
            db, street, order.id, across.fit.staff_id, now=clock.now, reason="x", settings=SETTINGS
        )
    assert refused.value.field == "staff_id"
    _, other_street = make_user(db, Role.STREET_ADMIN, area=district.tree.street_b)
    with pytest.raises(NotFound):
        picking.candidates(db, other_street, order.id, now=clock.now)
    _, provider = make_user(db, Role.PROVIDER_ADMIN, provider=district.p1)
    with pytest.raises(Forbidden):
        picking.candidates(db, provider, order.id, now=clock.now)


def test_a_pinned_caregivers_refusal_queues_the_order_with_a_translated_explanation(
    db: Session, district: District, clock: FakeClock, operator: Subject
) -> None:
    chosen = make_caregiver(db, district.f_a1, name="王芳")
    order = _submit(db, district, clock, operator)
    _assign(db, operator, order, chosen, clock, pin=True)
    _, carer = make_user(db, Role.CAREGIVER, provider=district.p1, staff_id=chosen.id)
    service.act(db, carer, order.id, "caregiver_refuse", now=clock.now, settings=SETTINGS)
    item = db.scalars(select(DispatchQueueItem).where(DispatchQueueItem.order_id == order.id)).one()
    assert item.reason_code == "pinned_order_refused"
    assert explanation("en", item.detail["explanation"]).startswith("王芳, pinned by a dispatcher")
    assert "pinned" not in explanation("zh_CN", item.detail["explanation"])

"""Order use cases against a real database: create, price and split, errors, scope, timeline."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import add_price, make_district, make_item, make_policy, window
from yiyang.config import Settings
from yiyang.errors import Forbidden, Invalid, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.orders import repository, service
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.orders.rules import IllegalTransition
from yiyang.orders.schemas import OrderCreate, OrderFilter
from yiyang.security.roles import Role

SETTINGS = Settings(secret_key="x")


def _create(db: Session, subject, elder_id: int, clock: FakeClock, **kw):  # type: ignore[no-untyped-def]
    start, end = window(clock.now)
    data = OrderCreate(
        elder_id=elder_id,
        item_code=kw.pop("item_code", "bath_home"),
        window_start=kw.pop("window_start", start),
        window_end=kw.pop("window_end", end),
        **kw,
    )
    key = kw.get("key")
    return service.create_order(
        db, subject, data, now=clock.now, idempotency_key=key, settings=SETTINGS
    )


def test_family_orders_for_own_elder_with_timeline(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    _, family = make_user(db, Role.FAMILY, elder=d.elder)
    order, created = _create(db, family, d.elder.id, clock)
    assert created and order.status == "priced" and order.price_fen == 5000
    events = repository.timeline(db, order.id)
    assert [(e.event, e.from_status, e.to_status) for e in events] == [
        ("create", None, "created"),
        ("price", "created", "priced"),
    ]
    assert events[0].actor_role == "family" and events[1].actor_role == "system"


def test_family_cannot_order_for_another_elder(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    other = make_elder(db, d.tree.comm_b1)
    _, family = make_user(db, Role.FAMILY, elder=d.elder)
    with pytest.raises(Invalid) as err:
        _create(db, family, other.id, clock)
    assert err.value.problems[0].code == "unknown_elder"


def test_bad_inputs_are_reported_together_and_nothing_written(
    db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    _, op = make_user(db, Role.OPERATOR)
    with pytest.raises(Invalid) as err:
        _create(
            db, op, 999_999, clock, item_code="nope",
        )  # fmt: skip
    assert {p.code for p in err.value.problems} == {"unknown_elder", "unknown_item"}
    with pytest.raises(Invalid) as err:
        _create(
            db, op, d.elder.id, clock,
            window_start=clock.now - timedelta(hours=2), window_end=clock.now - timedelta(hours=3),
        )  # fmt: skip
    assert {p.code for p in err.value.problems} == {"in_past", "inverted"}
    assert db.scalar(select(func.count(ServiceOrder.id))) == 0


def test_deceased_elder_is_refused(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    d.elder.status = "deceased"
    db.flush()
    _, op = make_user(db, Role.OPERATOR)
    with pytest.raises(Invalid) as err:
        _create(db, op, d.elder.id, clock)
    assert err.value.problems[0].code == "elder_inactive"
    assert err.value.status_code == 422


def test_same_idempotency_key_returns_first_order(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    _, op = make_user(db, Role.OPERATOR)
    first, created1 = _create(db, op, d.elder.id, clock, key="abc")
    second, created2 = _create(db, op, d.elder.id, clock, key="abc")
    assert created1 and not created2 and first.id == second.id
    assert db.scalar(select(func.count(ServiceOrder.id))) == 1
    _, other_op = make_user(db, Role.OPERATOR)
    third, created3 = _create(db, other_op, d.elder.id, clock, key="abc")
    assert created3 and third.id != first.id  # keys are per creator


def test_government_purchase_insisted_but_ineligible_is_422(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    make_policy(db, eligibility=[{"economic_statuses": ["extreme_poverty"]}])
    _, op = make_user(db, Role.OPERATOR)
    with pytest.raises(Invalid) as err:
        _create(db, op, d.elder.id, clock, government_purchase=True)
    assert err.value.field == "government_purchase"
    order, _ = _create(db, op, d.elder.id, clock)  # without insisting: the elder pays all
    assert (order.government_fen, order.elder_fen, order.subsidy_reason) == (
        0,
        5000,
        "not_eligible",
    )


def test_quota_used_up_mid_month_and_split_kept_when_prices_change(
    db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    d.elder.economic_status = "minimum_living"
    make_policy(
        db, code="monthly", eligibility=[{"economic_statuses": ["minimum_living"]}],
        monthly_quota_fen=12_000,
    )  # fmt: skip
    _, op = make_user(db, Role.OPERATOR)
    splits = []
    for day in range(3):
        start, end = window(clock.now, hours=2 + 24 * day)
        order, _ = _create(db, op, d.elder.id, clock, window_start=start, window_end=end)
        splits.append((order.government_fen, order.elder_fen, order.subsidy_reason))
    assert splits == [
        (5000, 0, "subsidised"),
        (5000, 0, "subsidised"),
        (2000, 3000, "partly_subsidised"),
    ]
    first = db.scalars(select(ServiceOrder).order_by(ServiceOrder.id)).first()
    assert first is not None
    add_price(db, d.item, date(2026, 11, 24), 9000, 60)
    db.refresh(first)
    assert (first.price_fen, first.government_fen) == (5000, 5000)
    later, _ = _create(
        db, op, d.elder.id, clock, window_start=clock.now + timedelta(days=3),
        window_end=clock.now + timedelta(days=3, hours=2),
    )  # fmt: skip
    assert later.price_fen == 9000  # the new version is in force on the later date
    assert (later.government_fen, later.subsidy_reason) == (0, "monthly_amount_exhausted")


def test_meal_subsidy_five_a_week(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    make_item(db, "meal_delivery", price_fen=1500, minutes=30, skills=("meals",))
    make_policy(
        db, code="meal", item_codes=["meal_delivery"], per_order_cap_fen=300, weekly_quota_count=5
    )
    _, op = make_user(db, Role.OPERATOR)
    gov = []
    for day in range(6):  # Monday 2026-11-23 … Saturday
        start, end = window(clock.now, hours=2 + 24 * day, length_min=60)
        order, _ = _create(
            db, op, d.elder.id, clock, item_code="meal_delivery", window_start=start, window_end=end
        )
        gov.append(order.government_fen)
    assert gov == [300, 300, 300, 300, 300, 0]


def test_illegal_transition_is_refused_and_legal_one_is_timelined(
    db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    _, family = make_user(db, Role.FAMILY, elder=d.elder)
    order, _ = _create(db, family, d.elder.id, clock)
    with pytest.raises(Forbidden):
        service.transition(db, family, order.id, "check_in", now=clock.now)
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    with pytest.raises(IllegalTransition):
        service.transition(db, admin, order.id, "check_in", now=clock.now)
    service.cancel(db, family, order.id, now=clock.now, reason="changed my mind")
    assert order.status == "cancelled" and order.cancel_reason == "changed my mind"
    last = db.scalars(select(OrderEvent).order_by(OrderEvent.id.desc())).first()
    assert last is not None and (last.event, last.reason) == ("cancel", "changed my mind")
    with pytest.raises(IllegalTransition):
        service.cancel(db, family, order.id, now=clock.now, reason=None)


def test_scope_provider_caregiver_family_street(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    other_elder = make_elder(db, d.tree.comm_b1)
    _, op = make_user(db, Role.OPERATOR)
    mine, _ = _create(db, op, d.elder.id, clock)
    theirs, _ = _create(db, op, other_elder.id, clock)
    mine.provider_id, theirs.provider_id = d.p1.id, d.p2.id
    db.flush()
    page = PageParams()

    def ids(subject) -> set[int]:  # type: ignore[no-untyped-def]
        return {o.id for o in service.list_orders(db, subject, OrderFilter(), page).items}

    _, prov1 = make_user(db, Role.PROVIDER_ADMIN, provider=d.p1)
    _, family = make_user(db, Role.FAMILY, elder=other_elder)
    _, street_a = make_user(db, Role.STREET_ADMIN, area=d.tree.street_a)
    assert ids(prov1) == {mine.id}
    assert ids(family) == {theirs.id}
    assert ids(street_a) == {mine.id}
    assert ids(op) == {mine.id, theirs.id}
    from yiyang.orders import repository

    with pytest.raises(NotFound):
        repository.get(db, prov1, theirs.id)

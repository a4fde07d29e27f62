"""A service-button press orders a visit through the ordinary order path (channel "device");
where it cannot, it is a dead end with its reason on the button's state, never an alarm."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.alarms.helpers import make_device, make_home, message
from tests.builders import make_catalog_item, make_elder, make_tree
from tests.conftest import FakeClock
from yiyang.alarms import rule_repository
from yiyang.alarms.intake import take
from yiyang.alarms.models import Alarm
from yiyang.alarms.rule_models import RuleState
from yiyang.config import Settings
from yiyang.devices.kinds import DeviceKind
from yiyang.devices.models import Device
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.protocols.vocabulary import Signal


def _press(db: Session, device: Device, clock: FakeClock, settings: Settings) -> None:
    msg = message(clock.now, signal=Signal.SERVICE_REQUEST)
    residents = rule_repository.resident_ids(db, device.home_id)
    assert take(db, device, msg, resident_ids=residents, now=clock.now, settings=settings) == []


def _state(db: Session, device: Device) -> RuleState:
    """The stored state as it is now (the intake writes plain rows, not this session's ORM)."""
    st = db.scalar(
        select(RuleState)
        .where(RuleState.owner == f"device:{device.id}", RuleState.rule_key == "service")
        .execution_options(populate_existing=True)
    )
    assert st is not None
    return st


def test_a_press_orders_the_configured_service_for_the_elder(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    item = make_catalog_item(db, code="proactive_visit")
    elder = make_elder(db, make_tree(db).comm_a1)
    button = make_device(
        db, DeviceKind.SERVICE_BUTTON, home=make_home(db, elder), installed_at=clock.now
    )
    _press(db, button, clock, settings)
    order = db.scalar(select(ServiceOrder).where(ServiceOrder.elder_id == elder.id))
    assert order is not None
    assert (order.channel, order.item_id) == ("device", item.id)
    assert order.window_start_at == clock.now + timedelta(
        minutes=settings.service_button_lead_minutes
    )
    events = db.scalars(
        select(OrderEvent.event).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).all()
    assert events[:2] == ["create", "price"]
    assert len(events) == 3 and order.status in ("offered", "queued")  # and dispatched
    st = _state(db, button)
    assert (st.reason, st.data["order_id"]) == ("ordered", order.id)
    assert db.scalar(select(func.count()).select_from(Alarm)) == 0


def test_an_impatient_second_press_is_the_same_wish(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    make_catalog_item(db, code="proactive_visit")
    elder = make_elder(db, make_tree(db).comm_a1)
    button = make_device(db, DeviceKind.SERVICE_BUTTON, elder=elder, installed_at=clock.now)
    _press(db, button, clock, settings)
    clock.advance(minutes=2)
    _press(db, button, clock, settings)
    assert db.scalar(select(func.count()).select_from(ServiceOrder)) == 1
    assert _state(db, button).reason == "repeat_press"
    clock.advance(minutes=30)
    _press(db, button, clock, settings)
    assert db.scalar(select(func.count()).select_from(ServiceOrder)) == 2


def test_a_button_in_a_shared_home_has_nobody_to_order_for(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    make_catalog_item(db, code="proactive_visit")
    tree = make_tree(db)
    home = make_home(
        db, make_elder(db, tree.comm_a1), make_elder(db, tree.comm_a1, name="李建国", sex="M")
    )
    button = make_device(db, DeviceKind.SERVICE_BUTTON, home=home, installed_at=clock.now)
    _press(db, button, clock, settings)
    assert db.scalar(select(func.count()).select_from(ServiceOrder)) == 0
    assert db.scalar(select(func.count()).select_from(Alarm)) == 0
    assert _state(db, button).reason == "no_elder"


def test_an_unknown_service_or_an_elder_no_longer_served_is_a_dead_end_with_its_reason(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = make_elder(db, make_tree(db).comm_a1)
    button = make_device(db, DeviceKind.SERVICE_BUTTON, elder=elder, installed_at=clock.now)
    _press(db, button, clock, settings.model_copy(update={"service_button_item": "no_such"}))
    st = _state(db, button)
    assert (st.reason, st.data["problem"]) == ("refused", "unknown_item")
    make_catalog_item(db, code="proactive_visit")
    elder.status = "moved"
    db.flush()
    clock.advance(minutes=30)
    _press(db, button, clock, settings)
    st = _state(db, button)
    assert (st.reason, st.data["problem"]) == ("refused", "elder_inactive")
    assert db.scalar(select(func.count()).select_from(ServiceOrder)) == 0
    assert db.scalar(select(func.count()).select_from(Alarm)) == 0

"""Family texts and webhook messages are written with the change, sent by the worker after."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_network

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.events.helpers import committing_factory
from tests.orders.builders import District, make_caregiver, make_district, window
from yiyang.config import Settings
from yiyang.console.notifications import local_time
from yiyang.dispatch import repository as dispatch_repository
from yiyang.dispatch import service as dispatch_service
from yiyang.events import delivery
from yiyang.events.models import DomainEventRow, OutboxMessage
from yiyang.orders import rules
from yiyang.orders import service as order_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.ports import subscriptions
from yiyang.ports.delivery import deliverers, http_client
from yiyang.ports.models import PortLog
from yiyang.ports.schemas import WebhookCreate
from yiyang.registry.elders.models import ElderContact
from yiyang.registry.staff.models import Staff
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

SETTINGS = Settings(secret_key="x")
SON = "13900005678"  # the priority-1 contact make_elder gives every elder


def _contacts(session: Session, d: District) -> None:
    """A second contact, who is not the one told."""
    session.add(
        ElderContact(elder_id=d.elder.id, priority=2, name="女儿", relationship="daughter",
                     phone="13900000002")
    )  # fmt: skip
    session.flush()


def _data(d: District, clock: FakeClock) -> OrderCreate:
    start, end = window(clock.now)
    return OrderCreate(
        elder_id=d.elder.id, item_code="bath_home", window_start=start, window_end=end
    )


def _order(session: Session, d: District, clock: FakeClock) -> tuple[ServiceOrder, Subject]:
    """An order an operator placed, not dispatched."""
    _, operator = make_user(session, Role.OPERATOR)
    order, _ = order_service.create_order(
        session, operator, _data(d, clock), now=clock.now, settings=SETTINGS
    )
    return order, operator


def _submitted(session: Session, d: District, clock: FakeClock) -> tuple[ServiceOrder, Subject]:
    """An order an operator placed through automatic dispatch."""
    _, operator = make_user(session, Role.OPERATOR)
    order = dispatch_service.submit_order(
        session, operator, _data(d, clock), now=clock.now, settings=SETTINGS
    )
    return order, operator


def _texts(session: Session, order_id: int) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "sms")
            .order_by(OutboxMessage.id)
            .where(OutboxMessage.payload["order_id"].as_integer() == order_id)
        )
    )


def test_a_manual_assignment_texts_the_first_family_contact(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    _contacts(db, d)
    caregiver = make_caregiver(db, d.f_a1, name="王芳")
    order, operator = _order(db, d, clock)
    dispatch_service.assign(
        db,
        operator,
        order.id,
        caregiver.id,
        now=clock.now,
        reason="family asked",
        settings=SETTINGS,
    )
    db.flush()
    (text,) = _texts(db, order.id)
    assert text.destination == SON and text.state == "pending"
    assert text.event_type == "order.caregiver_assigned"
    body = text.payload["text"]
    assert "王芳" in body and d.f_a1.name in body and "护理员" in body
    assert order.planned_start_at is not None and local_time(order.planned_start_at) in body
    assert "11:00" in body  # 09:00 local now, window two hours on: China time, never UTC


def test_without_contacts_the_elder_is_texted_and_without_a_phone_nobody(
    db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    db.execute(delete(ElderContact).where(ElderContact.elder_id == d.elder.id))
    caregiver = make_caregiver(db, d.f_a1)
    order, operator = _order(db, d, clock)
    dispatch_service.assign(
        db, operator, order.id, caregiver.id, now=clock.now, reason="r", settings=SETTINGS
    )
    (text,) = _texts(db, order.id)
    assert text.destination == d.elder.phone and "您" in text.payload["text"]
    d.elder.phone = None
    order_service.record(db, order, rules.Event.CAREGIVER_ACCEPT, actor=None, now=clock.now)
    order_service.record(db, order, rules.Event.DEPART, actor=None, now=clock.now)
    assert len(_texts(db, order.id)) == 1


def test_the_visit_steps_are_texted_in_china_time(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    _contacts(db, d)
    caregiver = make_caregiver(db, d.f_a1, name="李娜")
    order, _ = _order(db, d, clock)
    order.staff_id, order.provider_id = caregiver.id, caregiver.provider_id
    order.status = rules.Status.CAREGIVER_ACCEPTED
    order_service.record(db, order, rules.Event.DEPART, actor=None, now=clock.now)
    clock.advance(minutes=125)  # 11:05 local
    order_service.record(db, order, rules.Event.CHECK_IN, actor=None, now=clock.now)
    clock.advance(minutes=60)
    order_service.record(db, order, rules.Event.CHECK_OUT, actor=None, now=clock.now)
    order_service.record(db, order, rules.Event.COMPLETE, actor=None, now=clock.now)
    way, arrived, left = (t.payload["text"] for t in _texts(db, order.id))
    assert "李娜" in way and "出发" in way
    assert "11:05" in arrived and "到达" in arrived
    assert "12:05" in left and "完成" in left


def test_an_order_nobody_can_take_is_texted_once(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    _contacts(db, d)
    order, _ = _submitted(db, d, clock)
    assert order.status == "queued"
    dispatch_service.dispatch(db, order.id, now=clock.now, settings=SETTINGS)  # queued again
    order_service.record(db, order, rules.Event.OFFER, actor=None, now=clock.now)
    order_service.record(db, order, rules.Event.ORG_REFUSE, actor=None, now=clock.now)
    order_service.record(db, order, rules.Event.QUEUE, actor=None, now=clock.now)
    (text,) = _texts(db, order.id)
    assert "未能" in text.payload["text"]
    assert text.idempotency_key == f"sms:unplaceable:{order.id}"


def test_events_carry_actor_and_cause(db: Session, clock: FakeClock) -> None:
    d = make_district(db)
    make_caregiver(db, d.f_a1)
    order, operator = _submitted(db, d, clock)
    clock.advance(minutes=SETTINGS.dispatch_org_offer_minutes)
    dispatch_service.expire_offer(
        db, order.id, dispatch_repository.current_decision(db, order.id).id,  # type: ignore[union-attr]
        step="org", now=clock.now, settings=SETTINGS,
    )  # fmt: skip
    db.flush()
    rows = list(
        db.scalars(
            select(DomainEventRow)
            .where(DomainEventRow.entity == "order", DomainEventRow.entity_id == order.id)
            .order_by(DomainEventRow.seq)
        )
    )
    by_type = {r.type: r for r in rows}
    assert [r.type for r in rows][:3] == ["order.created", "order.priced", "order.offered"]
    created = by_type["order.created"]
    assert (created.actor_kind, created.actor_user_id) == ("user", operator.user_id)
    assert created.actor_role == "operator" and created.cause_id is None
    assert by_type["order.priced"].cause_id == created.id
    timeout = by_type["order.provider_timed_out"]
    first_offer = rows[2]
    assert timeout.actor_kind == "system" and timeout.cause_id == first_offer.id
    after = rows[rows.index(timeout) + 1]  # re-dispatch: the next offer, or the queue
    assert after.type in ("order.offered", "order.unplaceable") and after.cause_id == timeout.id


def test_webhook_subscribers_get_one_message_per_event_type_they_chose(
    db: Session, clock: FakeClock
) -> None:
    d = make_district(db)
    caregiver = make_caregiver(db, d.f_a1)
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    visits = subscriptions.create(
        db, admin, WebhookCreate(url="http://127.0.0.1:9/hook",  # type: ignore[arg-type]
                                 event_types=["order.caregiver_assigned", "visit.checked_in"]),
        now=clock.now, allowed_networks=[ip_network("127.0.0.0/8")],
    )  # fmt: skip
    off = subscriptions.create(
        db, admin, WebhookCreate(url="http://127.0.0.1:9/off",  # type: ignore[arg-type]
                                 event_types=["order.caregiver_assigned"]),
        now=clock.now, allowed_networks=[ip_network("127.0.0.0/8")],
    )  # fmt: skip
    off.active = False
    order, operator = _order(db, d, clock)
    dispatch_service.assign(
        db, operator, order.id, caregiver.id, now=clock.now, reason="r", settings=SETTINGS
    )
    db.flush()
    hooks = list(db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")))
    assert [(h.destination, h.event_type) for h in hooks] == [
        (str(visits.id), "order.caregiver_assigned")
    ]
    body = hooks[0].payload
    assert body["type"] == "order.caregiver_assigned" and body["data"]["order"]["id"] == order.id
    assert body["data"]["order"]["staff_id"] == caregiver.id
    assert body["actor"] == {
        "kind": "user", "user_id": operator.user_id, "name": operator.display_name,
        "role": "operator",
    }  # fmt: skip
    assert hooks[0].idempotency_key == f"webhook:{visits.id}:{body['id']}"


@pytest.fixture
def factory(own_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Committing sessions on this module's own database (its district stays there)."""
    yield from committing_factory(own_engine)


def test_the_family_text_reaches_the_port_log_after_the_worker_delivers(
    factory: sessionmaker[Session], clock: FakeClock
) -> None:
    with factory() as s:
        d = make_district(s)
        _contacts(s, d)
        caregiver_id = make_caregiver(s, d.f_a1, name="王芳").id
        order, operator = _order(s, d, clock)
        s.commit()
    with factory() as s:
        dispatch_service.assign(
            s, operator, order.id, caregiver_id, now=clock.now, reason="r", settings=SETTINGS
        )
        s.commit()
    with factory() as s:
        assert s.scalars(select(PortLog)).all() == []  # nothing leaves before the worker runs
    settings = Settings(secret_key="x", notify_adapter="log")
    with http_client(settings) as http:
        sent = delivery.deliver_due(
            factory, clock, deliverers(settings, factory, clock, http), delivery.policy_of(settings)
        )
    assert sent == 1
    with factory() as s:
        (logged,) = s.scalars(select(PortLog)).all()
        assert logged.channel == "sms" and logged.destination == SON
        assert "王芳" in logged.text and logged.sent_at == clock.now
        assert s.get_one(Staff, caregiver_id).name == "王芳"

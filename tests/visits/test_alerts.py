"""The alert service on a real database: scope per role, notes, alerts of an order, filters."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.visits.scene import TwoStreets, deliver, make_two_streets
from yiyang.errors import Conflict, Forbidden, Invalid, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.subject import Subject
from yiyang.visits import alerts
from yiyang.visits.models import Alert
from yiyang.visits.schemas import AlertFilter, AlertNote

PAGE = PageParams(page=1, size=50)


def _ids(db: Session, who: Subject, clock: FakeClock, **flt: object) -> list[int]:
    page = alerts.open_alerts(db, who, AlertFilter(**flt), PAGE, now=clock.now)
    assert page.total == len(page.items)
    return [a.id for a in page.items]


@pytest.fixture
def two(db: Session, clock: FakeClock) -> TwoStreets:
    return make_two_streets(db, clock)


def test_each_role_sees_only_its_scope(db: Session, clock: FakeClock, two: TwoStreets) -> None:
    d, a, b = two.scene.d, two.alert_a.id, two.alert_b.id
    _, street_a = make_user(db, Role.STREET_ADMIN, area=d.tree.street_a)
    _, street_b = make_user(db, Role.STREET_ADMIN, area=d.tree.street_b)
    _, community_b1 = make_user(db, Role.COMMUNITY_STAFF, area=d.tree.comm_b1)
    _, provider_3 = make_user(db, Role.PROVIDER_ADMIN, provider=d.p3)
    assert _ids(db, two.scene.operator, clock) == [b, a]  # no-show before late
    assert _ids(db, street_a, clock) == [a]
    assert _ids(db, street_b, clock) == [b]
    assert _ids(db, community_b1, clock) == [b]
    assert _ids(db, two.scene.provider_admin, clock) == [a]
    assert _ids(db, provider_3, clock) == [b]
    assert alerts.open_count(db, street_a) == 1 and alerts.open_count(db, two.scene.operator) == 2
    # someone else's alert or order is "not found", not "forbidden"
    with pytest.raises(NotFound):
        alerts.acknowledge(db, street_a, b, AlertNote(note="seen"), now=clock.now)
    with pytest.raises(NotFound):
        alerts.resolve(db, two.scene.provider_admin, b, AlertNote(note="done"), now=clock.now)
    with pytest.raises(NotFound):
        alerts.order_alerts(db, street_a, two.order_b.id, now=clock.now)
    # a caregiver sees no alert board at all, even about its own visit
    carer = two.scene.carer
    with pytest.raises(Forbidden):
        alerts.open_alerts(db, carer, AlertFilter(), PAGE, now=clock.now)
    with pytest.raises(Forbidden):
        alerts.order_alerts(db, carer, two.scene.order.id, now=clock.now)
    assert alerts.open_count(db, carer) == 0


def test_phone_is_shown_to_the_provider_only_while_it_serves(
    db: Session, clock: FakeClock, two: TwoStreets
) -> None:
    scene = two.scene
    [row] = alerts.order_alerts(db, scene.provider_admin, scene.order.id, now=clock.now)
    assert row.elder_phone == "13800001234"  # its caregiver is on the job: it may need to call
    deliver(db, scene, scene.order, scene.carer, clock)
    [row] = alerts.order_alerts(db, scene.provider_admin, scene.order.id, now=clock.now)
    assert row.elder_phone == "138****1234" and row.elder_name == scene.d.elder.name
    [row] = alerts.order_alerts(db, scene.operator, scene.order.id, now=clock.now)
    assert row.elder_phone == "13800001234"  # the call centre calls elders
    assert row.staff_name == scene.caregiver.name and row.street_name


def test_acknowledge_and_resolve_need_a_note(
    db: Session, clock: FakeClock, two: TwoStreets
) -> None:
    op, alert_id = two.scene.operator, two.alert_a.id
    for act in (alerts.acknowledge, alerts.resolve):
        with pytest.raises(Invalid) as exc:
            act(db, op, alert_id, AlertNote(note="   "), now=clock.now)
        assert exc.value.field == "note" and exc.value.code == "note_required"
        assert "note" in str(exc.value)
    alert = db.get_one(Alert, alert_id)
    assert alert.acknowledged_at is None and alert.resolved_at is None
    assert db.scalar(select(AuditEvent).where(AuditEvent.entity == "visit_alert")) is None

    clock.advance(minutes=3)
    acked = alerts.acknowledge(
        db, op, alert_id, AlertNote(note="called 李娟: 5 min away"), now=clock.now
    )
    assert acked.status == "acknowledged" and acked.acknowledged_at == clock.now
    assert acked.acknowledged_by == db.get_one(UserAccount, op.user_id).display_name
    assert acked.acknowledge_note == "called 李娟: 5 min away"
    # acknowledging again is harmless for the same person, refused for another
    assert alerts.acknowledge(db, op, alert_id, AlertNote(note="again"), now=clock.now).status
    _, other_op = make_user(db, Role.SUPERVISOR)
    with pytest.raises(Conflict):
        alerts.acknowledge(db, other_op, alert_id, AlertNote(note="me too"), now=clock.now)

    clock.advance(minutes=7)
    done = alerts.resolve(db, other_op, alert_id, AlertNote(note="arrived 10:22"), now=clock.now)
    assert done.status == "resolved" and done.resolved_at == clock.now
    assert done.resolution_note == "arrived 10:22" and done.minutes_open == 15
    assert done.acknowledge_note == "called 李娟: 5 min away"  # the first acknowledgement stays
    with pytest.raises(Conflict):
        alerts.resolve(db, op, alert_id, AlertNote(note="twice"), now=clock.now)
    with pytest.raises(Conflict):
        alerts.acknowledge(db, op, alert_id, AlertNote(note="late"), now=clock.now)
    audit = db.scalars(
        select(AuditEvent).where(AuditEvent.entity == "visit_alert").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.entity_id, (e.after or {}).get("note")) for e in audit] == [
        ("acknowledge", alert_id, "called 李娟: 5 min away"),
        ("resolve", alert_id, "arrived 10:22"),
    ]
    # roles that only read alerts may not act on them
    _, auditor = make_user(db, Role.AUDITOR)
    with pytest.raises(Forbidden):
        alerts.resolve(db, auditor, two.alert_b.id, AlertNote(note="x"), now=clock.now)


def test_resolving_acknowledges_and_a_repeat_reopens(
    db: Session, clock: FakeClock, two: TwoStreets
) -> None:
    op = two.scene.operator
    done = alerts.resolve(db, op, two.alert_b.id, AlertNote(note="family rebooked"), now=clock.now)
    assert done.acknowledged_at == clock.now and done.resolved_at == clock.now
    clock.advance(minutes=30)
    alerts.raise_alert(db, two.order_b, "no_show", now=clock.now, detail={"minutes_late": 30})
    [again] = alerts.order_alerts(db, op, two.order_b.id, now=clock.now)
    assert again.status == "open" and again.raised_at == clock.now
    assert again.resolved_at is None and again.resolution_note is None
    assert again.acknowledged_at is None and again.acknowledge_note is None


def test_alerts_of_an_order(db: Session, clock: FakeClock, two: TwoStreets) -> None:
    order = two.scene.order
    clock.advance(minutes=2)
    alerts.raise_alert(
        db, order, "geofence", now=clock.now, detail={"check_in": {"flag": "poor_accuracy"}}
    )
    alerts.clear(db, order.id, "late", now=clock.now)
    rows = alerts.order_alerts(db, two.scene.operator, order.id, now=clock.now)
    assert [(r.kind, r.status, r.order_id) for r in rows] == [
        ("geofence", "open", order.id),
        ("late", "resolved", order.id),  # cleared by the platform counts as resolved
    ]
    assert rows[1].cleared_at == clock.now and rows[1].resolved_by is None
    assert (
        alerts.order_alerts(db, two.scene.operator, two.order_b.id, now=clock.now)[0].kind
        == "no_show"
    )


def test_filters_and_urgency(db: Session, clock: FakeClock, two: TwoStreets) -> None:
    op, a, b = two.scene.operator, two.alert_a.id, two.alert_b.id
    d = two.scene.d
    assert _ids(db, op, clock, kind="late") == [a]
    assert _ids(db, op, clock, street_code=d.tree.street_b.code) == [b]
    assert _ids(db, op, clock, elder="赵凤") == [b]
    assert _ids(db, op, clock, elder=str(d.elder.id)) == [a]
    assert _ids(db, op, clock, elder="13800005678") == [b]
    assert _ids(db, op, clock, caregiver=two.scene.caregiver.name[:1]) == [a]
    assert _ids(db, op, clock, order_id=two.order_b.id) == [b]
    assert _ids(db, op, clock, older_than_min=4) == [a]  # raised 5 min before b
    assert _ids(db, op, clock, sort="newest") == [b, a]
    # an acknowledged no-show drops below an open late one; resolved ones leave the default list
    alerts.acknowledge(db, op, b, AlertNote(note="calling"), now=clock.now)
    assert _ids(db, op, clock) == [a, b]
    assert _ids(db, op, clock, status="acknowledged") == [b]
    assert _ids(db, op, clock, status="open") == [a]
    alerts.resolve(db, op, a, AlertNote(note="sorted"), now=clock.now)
    assert _ids(db, op, clock) == [b]
    assert _ids(db, op, clock, status="resolved") == [a]
    assert sorted(_ids(db, op, clock, status="all")) == sorted([a, b])
    assert alerts.open_count(db, op) == 0

"""Visit use cases on a real database: check-in/out, geofence, QR, timers, corrections, feedback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import yiyang.dispatch.tasks  # registers the dispatch timer handlers
import yiyang.visits.tasks  # noqa: F401 — registers the visit timer handlers
from tests.builders import make_user
from tests.conftest import FakeClock
from tests.orders.builders import make_caregiver
from tests.visits.scene import (
    POLICY,
    SECRET,
    SETTINGS,
    factory_on,
    gps,
    home,
    make_scene,
    metres_north,
)
from yiyang.errors import Conflict, Forbidden, Invalid, NotFound
from yiyang.jobs import timer_runner as runner
from yiyang.jobs import timers
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role
from yiyang.visits import alerts, feedback, rules, service
from yiyang.visits.models import Alert, Visit, VisitCorrection
from yiyang.visits.schemas import (
    CheckIn,
    ChecklistIn,
    CheckOut,
    ComplaintIn,
    CorrectionIn,
    NoteIn,
    OfferAnswer,
    RatingIn,
    ReturnVisitIn,
)


def _arrive(db: Session, scene, clock: FakeClock, point=None) -> Visit:  # type: ignore[no-untyped-def]
    start = scene.order.planned_start_at or scene.order.window_start_at
    clock.now = start - timedelta(minutes=2)
    return service.check_in(
        db, scene.carer, scene.order.id, gps(point or home(scene)), now=clock.now,
        secret_key=SECRET, policy=POLICY,
    )  # fmt: skip


def _leave(db: Session, scene, clock: FakeClock, minutes: int = 60, **kw) -> Visit:  # type: ignore[no-untyped-def]
    clock.advance(minutes=minutes)
    data = CheckOut(method="gps", position=gps(home(scene)).position, **kw)
    return service.check_out(
        db, scene.carer, scene.order.id, data, now=clock.now, secret_key=SECRET, policy=POLICY
    )


# ---------------------------------------------------------------- check-in and check-out


def test_accept_schedules_checks_and_check_in_cancels_them(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    start = scene.order.planned_start_at or scene.order.window_start_at
    late = timers.pending(db, service.LATE_CHECK, scene.order.id)
    no_show = timers.pending(db, service.NO_SHOW_CHECK, scene.order.id)
    assert [t.due_at for t in late] == [start + timedelta(minutes=15)]
    assert [t.due_at for t in no_show] == [start + timedelta(minutes=30)]
    visit = _arrive(db, scene, clock)
    assert scene.order.status == "checked_in"
    assert visit.check_in_method == "gps" and visit.check_in_flag is None
    assert visit.check_in_distance_m is not None and visit.check_in_distance_m < 1
    assert not timers.pending(db, service.LATE_CHECK, scene.order.id)
    assert not timers.pending(db, service.NO_SHOW_CHECK, scene.order.id)
    events = db.scalars(select(OrderEvent.event).where(OrderEvent.order_id == scene.order.id))
    assert "check_in" in list(events)


def test_outside_geofence_is_accepted_and_flagged(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    visit = _arrive(db, scene, clock, metres_north(home(scene), 600))
    assert scene.order.status == "checked_in"
    assert visit.check_in_flag == "outside_geofence"
    assert visit.check_in_distance_m == pytest.approx(600, abs=1)
    alert = db.scalar(select(Alert).where(Alert.order_id == scene.order.id))
    assert alert is not None and alert.kind == "geofence"
    assert alert.detail["check_in"]["flag"] == "outside_geofence"


def test_someone_elses_visit_is_not_found(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    other = make_caregiver(db, scene.d.f_a1, name="王强")
    _, other_carer = make_user(db, Role.CAREGIVER, provider=scene.d.p1, staff_id=other.id)
    with pytest.raises(NotFound):
        service.check_in(
            db, other_carer, scene.order.id, gps(home(scene)), now=clock.now,
            secret_key=SECRET, policy=POLICY,
        )  # fmt: skip
    assert scene.order.status == "caregiver_accepted"
    _, family = make_user(db, Role.FAMILY, elder=scene.d.elder)
    with pytest.raises(Forbidden):  # a family member is not a caregiver at all
        service.check_in(
            db, family, scene.order.id, gps(home(scene)), now=clock.now,
            secret_key=SECRET, policy=POLICY,
        )  # fmt: skip


def test_check_out_before_check_in_is_refused(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    with pytest.raises(Conflict) as exc:
        service.check_out(
            db, scene.carer, scene.order.id, CheckOut(), now=clock.now, secret_key=SECRET,
            policy=POLICY,
        )  # fmt: skip
    assert exc.value.code == "not_checked_in" and exc.value.field == "check_out_at"
    assert scene.order.status == "caregiver_accepted"


def test_check_out_completes_and_short_visits_need_a_reason(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    _arrive(db, scene, clock)
    with pytest.raises(Invalid) as exc:
        _leave(db, scene, clock, minutes=20)
    assert [p.field for p in exc.value.problems] == ["short_reason"]
    assert scene.order.status == "checked_in"
    visit = service.check_out(
        db, scene.carer, scene.order.id,
        CheckOut(short_reason="elder_declined", note="did not want a bath today"),
        now=clock.now, secret_key=SECRET, policy=POLICY,
    )  # fmt: skip
    assert scene.order.status == "completed"
    assert visit.duration_min == 20 and visit.short_reason == "elder_declined"
    assert "did not want a bath" in (visit.notes or "")
    assert visit.check_out_flag == "no_position"  # no fix given: flagged, not blocked


def test_full_visit_needs_no_reason(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    _arrive(db, scene, clock)
    visit = _leave(db, scene, clock, minutes=55)
    assert visit.duration_min == 55 and visit.short_reason is None
    assert visit.check_out_flag is None and scene.order.status == "completed"


def test_qr_fallback(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    with pytest.raises(Invalid) as exc:
        service.check_in(
            db, scene.carer, scene.order.id, CheckIn(method="qr", qr_code="E1.deadbeef"),
            now=clock.now, secret_key=SECRET, policy=POLICY,
        )  # fmt: skip
    assert exc.value.field == "qr_code"
    assert scene.order.status == "caregiver_accepted"
    code = rules.elder_card_code(scene.d.elder.id, SECRET)
    visit = service.check_in(
        db, scene.carer, scene.order.id, CheckIn(method="qr", qr_code=code), now=clock.now,
        secret_key=SECRET, policy=POLICY,
    )  # fmt: skip
    assert visit.check_in_method == "qr" and visit.check_in_flag is None


def test_checklist_and_notes(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    with pytest.raises(Conflict):
        service.add_note(db, scene.carer, scene.order.id, NoteIn(text="early"), now=clock.now)
    _arrive(db, scene, clock)
    with pytest.raises(Invalid):
        service.save_checklist(
            db, scene.carer, scene.order.id, ChecklistIn(items={"juggling": True}), now=clock.now
        )
    visit = service.save_checklist(
        db, scene.carer, scene.order.id,
        ChecklistIn(items={"service_delivered": True, "hygiene_checked": False}), now=clock.now,
    )  # fmt: skip
    assert visit.checklist == {"service_delivered": True, "hygiene_checked": False}
    service.add_note(db, scene.carer, scene.order.id, NoteIn(text="skin dry"), now=clock.now)
    read = service.read_visit(db, scene.carer, scene.order.id, now=clock.now)
    assert "hygiene_checked" in read.checklist_items and "skin dry" in (read.notes or "")


def test_refusal_hands_the_order_to_dispatch(db: Session, clock: FakeClock) -> None:
    from tests.visits.scene import place_order

    scene = make_scene(db, clock, spare=True)
    order = place_order(db, scene.d, clock, scene.operator, hours=5)
    from yiyang.dispatch import service as dispatch_service

    dispatch_service.act(
        db, scene.provider_admin, order.id, "org_accept", now=clock.now, settings=SETTINGS
    )
    assert order.staff_id == scene.caregiver.id
    service.answer_offer(
        db, scene.carer, order.id, OfferAnswer(accept=False, reason="ill"), now=clock.now,
        settings=SETTINGS,
    )  # fmt: skip
    assert order.staff_id != scene.caregiver.id
    with pytest.raises(NotFound):
        service.read_visit(db, scene.carer, order.id, now=clock.now)


# ---------------------------------------------------------------- late and no-show timers


def test_late_caregiver_raises_alert_and_is_replaced(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock, spare=True)
    db.flush()
    start = scene.order.planned_start_at or scene.order.window_start_at
    factory = factory_on(db)
    clock.now = start + timedelta(minutes=14)
    assert runner.run_due(factory, clock.now, SETTINGS) == 0
    clock.now = start + timedelta(minutes=15)
    assert runner.run_due(factory, clock.now, SETTINGS) == 1
    db.expire_all()
    order = db.get_one(ServiceOrder, scene.order.id)
    alert = db.scalar(select(Alert).where(Alert.order_id == order.id, Alert.kind == "late"))
    assert alert is not None and alert.staff_id == scene.caregiver.id
    assert alert is not None and alert.detail["minutes_late"] == 15
    assert order.staff_id != scene.caregiver.id  # re-dispatched
    assert order.status in ("offered", "queued")
    reasons = db.scalars(select(OrderEvent.reason).where(OrderEvent.order_id == order.id)).all()
    assert "late" in reasons
    # the first caregiver's no-show check went with them
    assert not timers.pending(db, service.NO_SHOW_CHECK, order.id)
    with pytest.raises(NotFound):
        service.check_in(
            db, scene.carer, order.id, gps(home(scene)), now=clock.now, secret_key=SECRET,
            policy=POLICY,
        )  # fmt: skip
    operator_alerts = alerts.order_alerts(db, scene.operator, order.id, now=clock.now)
    assert [a.kind for a in operator_alerts] == ["late"]


def test_on_the_way_is_alerted_then_cleared_on_arrival(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    service.depart(db, scene.carer, scene.order.id, now=clock.now)
    db.flush()
    start = scene.order.planned_start_at or scene.order.window_start_at
    clock.now = start + timedelta(minutes=16)
    assert runner.run_due(factory_on(db), clock.now, SETTINGS) == 1
    db.expire_all()
    order = db.get_one(ServiceOrder, scene.order.id)
    assert (order.status, order.staff_id) == ("on_the_way", scene.caregiver.id)
    alert = db.scalar(select(Alert).where(Alert.order_id == order.id))
    assert alert is not None and alert.kind == "late" and alert.cleared_at is None
    assert timers.pending(db, service.NO_SHOW_CHECK, order.id)
    service.check_in(
        db, scene.carer, order.id, gps(home(scene)), now=clock.now, secret_key=SECRET,
        policy=POLICY,
    )  # fmt: skip
    assert alert.cleared_at == clock.now and alert.acknowledged_at is None
    assert not timers.pending(db, service.NO_SHOW_CHECK, order.id)
    read = service.read_visit(db, scene.operator, order.id, now=clock.now)
    assert read.punctuality == "late"


def test_no_show_while_on_the_way_redispatches(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock, spare=True)
    service.depart(db, scene.carer, scene.order.id, now=clock.now)
    db.flush()
    start = scene.order.planned_start_at or scene.order.window_start_at
    clock.now = start + timedelta(minutes=31)
    assert (
        runner.run_due(factory_on(db), clock.now, SETTINGS) == 2
    )  # late (alert only), then no-show
    db.expire_all()
    order = db.get_one(ServiceOrder, scene.order.id)
    kinds = set(db.scalars(select(Alert.kind).where(Alert.order_id == order.id)))
    assert kinds == {"late", "no_show"}
    assert order.staff_id != scene.caregiver.id


# ---------------------------------------------------------------- corrections


def test_manual_correction_needs_a_reason_and_is_recorded(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    _, street_admin = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    at = clock.now + timedelta(hours=2)
    clock.now = at + timedelta(minutes=40)
    with pytest.raises(Invalid) as exc:
        feedback.correct(
            db, street_admin, scene.order.id, CorrectionIn(field_name="check_in_at", value=at),
            now=clock.now, policy=POLICY,
        )  # fmt: skip
    assert [p.field for p in exc.value.problems] == ["reason"]
    assert db.scalar(select(func.count(VisitCorrection.id))) == 0
    with pytest.raises(Forbidden):
        feedback.correct(
            db, scene.carer, scene.order.id,
            CorrectionIn(field_name="check_in_at", value=at, reason="forgot_to_check_in"),
            now=clock.now, policy=POLICY,
        )  # fmt: skip
    visit = feedback.correct(
        db, street_admin, scene.order.id,
        CorrectionIn(field_name="check_in_at", value=at, reason="gps_unavailable"),
        now=clock.now, policy=POLICY,
    )  # fmt: skip
    assert visit.check_in_at == at and visit.check_in_manual and visit.manual
    assert visit.check_in_method == "manual"
    assert scene.order.status == "checked_in"
    [corr] = visit.corrections
    assert (corr.field_name, corr.before, corr.reason_code) == (
        "check_in_at",
        None,
        "gps_unavailable",
    )
    assert corr.after == at.isoformat() and corr.by_role == "street_admin"
    assert not timers.pending(db, service.LATE_CHECK, scene.order.id)
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "visit_correction"))
    assert audit is not None and audit.entity_id == visit.id
    with pytest.raises(Invalid):  # other_with_note without the note
        feedback.correct(
            db, street_admin, scene.order.id,
            CorrectionIn(field_name="check_out_at", value=clock.now, reason="other_with_note"),
            now=clock.now, policy=POLICY,
        )  # fmt: skip
    visit = feedback.correct(
        db, street_admin, scene.order.id,
        CorrectionIn(field_name="check_out_at", value=clock.now, reason="forgot_to_check_out"),
        now=clock.now, policy=POLICY,
    )  # fmt: skip
    assert visit.duration_min == 40 and scene.order.status == "completed"


# ---------------------------------------------------------------- confirmation and feedback


def test_confirm_by_own_family_only(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    _, family = make_user(db, Role.FAMILY, elder=scene.d.elder)
    with pytest.raises(Conflict):  # not completed yet
        feedback.confirm(
            db, family, scene.order.id, RatingIn(score=5), now=clock.now, policy=POLICY
        )
    _arrive(db, scene, clock)
    _leave(db, scene, clock, minutes=60)
    from tests.builders import make_elder

    stranger_elder = make_elder(db, scene.d.tree.comm_a1, name="陌生人")
    _, other_family = make_user(db, Role.FAMILY, elder=stranger_elder)
    with pytest.raises(NotFound):
        feedback.confirm(
            db, other_family, scene.order.id, RatingIn(score=1), now=clock.now, policy=POLICY
        )
    rating = feedback.confirm(
        db, family, scene.order.id, RatingIn(score=4, comment=" 很好 "), now=clock.now,
        policy=POLICY,
    )  # fmt: skip
    assert (rating.score, rating.comment) == (4, "很好")
    assert scene.order.status == "confirmed"
    assert service.read_visit(db, family, scene.order.id, now=clock.now).rating_score == 4


def test_complaints_and_return_visits(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    _, family = make_user(db, Role.FAMILY, elder=scene.d.elder)
    complaint = feedback.file_complaint(
        db, family, scene.order.id, ComplaintIn(category="lateness", text="迟到了"), now=clock.now,
        policy=POLICY,
    )  # fmt: skip
    assert complaint.status == "open"
    assert [c.id for c in feedback.list_complaints(db, scene.operator)] == [complaint.id]
    with pytest.raises(Forbidden):
        feedback.record_return_visit(db, family, scene.order.id, ReturnVisitIn(), now=clock.now)
    rv = feedback.record_return_visit(
        db, scene.operator, scene.order.id, ReturnVisitIn(satisfaction=3, notes="ok"),
        now=clock.now,
    )  # fmt: skip
    assert rv.satisfaction == 3 and rv.operator_name
    with pytest.raises(Invalid):
        feedback.record_return_visit(
            db, scene.operator, scene.order.id, ReturnVisitIn(reached=False, satisfaction=2),
            now=clock.now,
        )  # fmt: skip
    assert len(feedback.list_return_visits(db, family, scene.order.id)) == 1


def test_my_day_lists_own_visits_in_order(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    day = scene.order.service_date
    items = service.my_day(db, scene.carer, day, now=clock.now)
    assert [i.order_id for i in items] == [scene.order.id]
    assert items[0].elder_name == scene.d.elder.name
    assert abs(items[0].map_lat_gcj02 - items[0].lat) < 0.01  # GCJ-02 is a few hundred metres off
    other = make_caregiver(db, scene.d.f_a1)
    _, other_carer = make_user(db, Role.CAREGIVER, provider=scene.d.p1, staff_id=other.id)
    assert service.my_day(db, other_carer, day, now=clock.now) == []


def test_continuity_counts_caregivers_who_came(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    assert service.continuity(db, scene.operator, scene.d.elder.id, now=clock.now) == 0
    _arrive(db, scene, clock)
    assert service.continuity(db, scene.operator, scene.d.elder.id, now=clock.now) == 1
    assert (
        service.continuity(db, scene.operator, scene.d.elder.id, now=clock.now + timedelta(days=31))
        == 0
    )
    _, family = make_user(db, Role.FAMILY, elder=scene.d.elder)
    from tests.builders import make_elder

    other = make_elder(db, scene.d.tree.comm_a1, name="别人")
    with pytest.raises(NotFound):
        service.continuity(db, family, other.id, now=clock.now)

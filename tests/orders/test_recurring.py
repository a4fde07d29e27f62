"""Standing orders: bad input refused whole; the daily expansion makes each order once.

The clock starts on Monday 2026-11-23 at 09:00 in Zhengzhou.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import PASSWORD, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, make_caregiver, make_district, make_item
from yiyang.config import Settings
from yiyang.dispatch import tasks
from yiyang.dispatch.models import DispatchDecision
from yiyang.errors import Invalid
from yiyang.jobs import timer_runner as runner
from yiyang.jobs import timers
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders import recurring
from yiyang.orders.models import RecurringOrder, ServiceOrder
from yiyang.orders.schemas import RecurringIn, RecurringUpdate
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

MONDAY = date(2026, 11, 23)
MON, TUE, WED, THU, FRI = range(5)

SETTINGS = Settings(secret_key="x")


@pytest.fixture
def district(db: Session) -> District:
    """The small district with a caregiver who bathes, Monday to Friday 8 to 6."""
    d = make_district(db)
    make_caregiver(db, d.f_a1)
    make_item(db, "bath_centre", home_visit=False)
    return d


@pytest.fixture
def operator(db: Session) -> Subject:
    return make_user(db, Role.OPERATOR)[1]


def _series(db: Session, subject: Subject, d: District, clock: FakeClock, **kw: object) -> RecurringOrder:  # fmt: skip
    values: dict[str, object] = {
        "elder_id": d.elder.id, "item_code": "bath_home", "weekdays": [MON, WED, FRI],
        "start_time": time(10, 0), "end_time": time(11, 0), "start_date": MONDAY,
    }  # fmt: skip
    values.update(kw)
    return recurring.create(db, subject, RecurringIn.model_validate(values), now=clock.now)


def _orders(db: Session) -> list[ServiceOrder]:
    db.expire_all()
    return list(db.scalars(select(ServiceOrder).order_by(ServiceOrder.service_date)))


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_expansion_makes_the_right_weekdays_once_and_dispatches_them(
    db: Session, district: District, operator: Subject, clock: FakeClock
) -> None:
    rec = _series(db, operator, district, clock)
    expand = partial(tasks.expand_recurring, db, now=clock.now, settings=SETTINGS)
    assert expand(days_ahead=3) == 2  # Monday and Wednesday
    assert expand(days_ahead=3) == 0  # the timer ran twice
    orders = _orders(db)
    assert [o.service_date for o in orders] == [MONDAY, MONDAY + timedelta(days=2)]
    for o in orders:
        day = o.service_date
        assert _aware(o.window_start_at) == datetime.combine(day, time(10, 0), CHINA_TZ)
        assert _aware(o.window_end_at) == datetime.combine(day, time(11, 0), CHINA_TZ)
        assert (o.channel, o.recurring_id, o.elder_id) == ("recurring", rec.id, district.elder.id)
        assert o.status == "offered"  # dispatched in the same run
    decisions = db.scalar(select(func.count(DispatchDecision.id)))
    assert decisions == 2
    assert rec.last_expanded_date == MONDAY + timedelta(days=2)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_a_window_already_begun_is_left_out(
    db: Session, district: District, operator: Subject, clock: FakeClock
) -> None:
    _series(db, operator, district, clock, weekdays=[MON, TUE], start_time=time(8, 0),
            end_time=time(9, 30))  # fmt: skip
    assert tasks.expand_recurring(db, now=clock.now, days_ahead=1, settings=SETTINGS) == 1
    assert [o.service_date for o in _orders(db)] == [MONDAY + timedelta(days=1)]


def test_paused_ended_not_started_and_deceased_are_skipped(
    db: Session, district: District, operator: Subject, clock: FakeClock
) -> None:
    paused = _series(db, operator, district, clock)
    recurring.update(db, operator, paused.id, RecurringUpdate(active=False), now=clock.now)
    _series(db, operator, district, clock, end_date=MONDAY)  # ends today: Wednesday is not owed
    _series(db, operator, district, clock, start_date=MONDAY + timedelta(days=3))  # from Thursday
    gone = make_elder(db, district.tree.comm_a1, name="范淑英")
    _series(db, operator, district, clock, elder_id=gone.id)
    gone.status = "deceased"
    db.flush()
    assert tasks.expand_recurring(db, now=clock.now, days_ahead=3, settings=SETTINGS) == 1
    [only] = _orders(db)
    assert (only.service_date, only.elder_id) == (MONDAY, district.elder.id)
    assert gone.id not in {r.elder_id for r in recurring.due_on(db, MONDAY)}


@pytest.fixture
def factory(db: Session) -> sessionmaker[Session]:
    """Worker sessions on the test's connection whose commits are savepoints."""
    conn: Connection = db.connection()
    return sessionmaker(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)


def test_the_daily_timer_expands_and_reschedules_itself_once(
    db: Session,
    district: District,
    operator: Subject,
    clock: FakeClock,
    factory: sessionmaker[Session],
) -> None:
    _series(db, operator, district, clock, weekdays=[TUE, THU])
    [timer] = timers.pending(db, recurring.EXPAND)
    assert timer.due_at.replace(tzinfo=None) == datetime(2026, 11, 23, 16, 30)  # 00:30 Tuesday
    # A second timer (two series created at once, say) must not double the runs.
    timers.schedule(db, recurring.EXPAND, 0, timer.due_at)
    db.flush()
    clock.now = datetime(2026, 11, 24, 0, 30, tzinfo=CHINA_TZ)
    assert runner.run_due(factory, clock.now, SETTINGS) == 2  # both runs, and nothing else was due
    assert [o.service_date for o in _orders(db)] == [date(2026, 11, 24)]  # Tuesday only
    [following] = timers.pending(db, recurring.EXPAND)
    assert _aware(following.due_at) == datetime(2026, 11, 25, 0, 30, tzinfo=CHINA_TZ)
    clock.now = datetime(2026, 11, 25, 0, 30, tzinfo=CHINA_TZ)
    runner.run_due(factory, clock.now, SETTINGS)  # the run, and the provider's unanswered offer
    assert [o.service_date for o in _orders(db)] == [date(2026, 11, 24), date(2026, 11, 26)]
    assert len(timers.pending(db, recurring.EXPAND)) == 1


def test_a_worker_restart_mid_run_loses_nothing_and_doubles_nothing(
    db: Session,
    district: District,
    operator: Subject,
    clock: FakeClock,
    factory: sessionmaker[Session],
) -> None:
    _series(db, operator, district, clock, weekdays=[TUE])
    db.flush()
    clock.now = datetime(2026, 11, 24, 0, 30, tzinfo=CHINA_TZ)
    with factory() as crashed:  # the worker dies before its transaction commits
        tasks.expand_recurring(crashed, now=clock.now, days_ahead=1, settings=SETTINGS)
        crashed.rollback()
    assert _orders(db) == []
    assert runner.run_due(factory, clock.now, SETTINGS) == 1  # the timer is still due: run again
    assert runner.run_due(factory, clock.now, SETTINGS) == 0
    assert [o.service_date for o in _orders(db)] == [date(2026, 11, 24)]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"weekdays": []}, "weekdays", "no_weekday"),
        ({"weekdays": [1, 7]}, "weekdays", "bad_weekday"),
        ({"start_time": time(11, 0), "end_time": time(10, 0)}, "end_time", "inverted"),
        ({"end_time": time(10, 30)}, "end_time", "too_short"),  # a bath takes an hour
        ({"end_date": date(2026, 11, 1), "start_date": date(2026, 11, 20)}, "end_date", "inverted"),
        ({"end_date": date(2026, 11, 20), "start_date": date(2026, 11, 2)}, "end_date", "in_past"),
        ({"elder_id": 999_999}, "elder_id", "unknown_elder"),
        ({"item_code": "bath_centre"}, "item_code", "not_home_visit"),
        ({"item_code": "yoga"}, "item_code", "unknown_item"),
    ],
)
def test_bad_input_is_refused_with_nothing_written(
    db: Session,
    district: District,
    operator: Subject,
    clock: FakeClock,
    change: dict[str, object],
    field: str,
    code: str,
) -> None:
    with pytest.raises(Invalid) as err:
        _series(db, operator, district, clock, **change)
    assert (field, code) in {(p.field, p.code) for p in err.value.problems}
    assert _count(db, RecurringOrder) == 0
    assert _count(db, AuditEvent) == 0
    assert timers.pending(db, recurring.EXPAND) == []


def test_no_series_for_an_elder_no_longer_served_or_out_of_scope(
    db: Session, district: District, clock: FakeClock
) -> None:
    other = make_elder(db, district.tree.comm_b1)
    _, family = make_user(db, Role.FAMILY, elder=district.elder)
    with pytest.raises(Invalid) as err:
        _series(db, family, district, clock, elder_id=other.id)
    assert err.value.problems[0].code == "unknown_elder"
    district.elder.status = "moved"
    db.flush()
    with pytest.raises(Invalid) as err:
        _series(db, family, district, clock)
    assert err.value.problems[0].code == "elder_inactive"


def test_update_keeps_nulls_as_unchanged_and_checks_the_new_window(
    db: Session, district: District, operator: Subject, clock: FakeClock
) -> None:
    rec = _series(db, operator, district, clock)
    nulls = RecurringUpdate.model_validate({"weekdays": None, "start_time": None, "active": None})
    recurring.update(db, operator, rec.id, nulls, now=clock.now)
    assert (rec.weekdays, rec.start_time, rec.active) == ([MON, WED, FRI], time(10, 0), True)
    with pytest.raises(Invalid) as err:
        recurring.update(
            db, operator, rec.id, RecurringUpdate(end_time=time(10, 15)), now=clock.now
        )
    assert err.value.problems[0].code == "too_short"
    with pytest.raises(Invalid):
        recurring.update(db, operator, rec.id, RecurringUpdate(weekdays=[]), now=clock.now)
    assert rec.end_time == time(11, 0) and rec.weekdays == [MON, WED, FRI]
    recurring.update(
        db, operator, rec.id, RecurringUpdate(weekdays=[THU, TUE, TUE], notes="gate code 12"),
        now=clock.now,
    )  # fmt: skip
    assert rec.weekdays == [TUE, THU]
    audit = db.scalars(
        select(AuditEvent).where(AuditEvent.entity == "recurring_order").order_by(AuditEvent.id)
    ).all()
    assert [a.action for a in audit] == ["create", "update"]
    assert audit[1].after == {"weekdays": [TUE, THU], "notes": "gate code 12"}


def _auth(client: TestClient, user: UserAccount) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_api_creates_and_makes_todays_and_tomorrows_orders_at_once(
    client: TestClient, db: Session, district: District
) -> None:
    family, _ = make_user(db, Role.FAMILY, elder=district.elder)
    h = _auth(client, family)
    body = {
        "elder_id": district.elder.id, "item_code": "bath_home", "weekdays": [MON, TUE],
        "start_time": "14:00", "end_time": "16:00", "start_date": "2026-11-23",
    }  # fmt: skip
    resp = client.post("/api/v1/recurring-orders", json=body, headers=h)
    assert resp.status_code == 201, resp.text
    assert resp.json()["last_expanded_date"] == "2026-11-24"
    assert [o.service_date for o in _orders(db)] == [MONDAY, MONDAY + timedelta(days=1)]
    listed = client.get("/api/v1/orders", headers=h).json()
    assert {o["channel"] for o in listed["items"]} == {"recurring"}
    rec_id = resp.json()["id"]
    paused = client.patch(f"/api/v1/recurring-orders/{rec_id}", json={"active": False}, headers=h)
    assert paused.status_code == 200 and paused.json()["active"] is False
    assert len(_orders(db)) == 2  # orders already made stay


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"start_time": "16:00", "end_time": "14:00"}, "end_time"),
        ({"start_date": "2026-12-10", "end_date": "2026-12-01"}, "end_date"),
        ({"elder_id": 999_999}, "elder_id"),
        ({"item_code": "bath_centre"}, "item_code"),
        ({"start_time": "half past two"}, "start_time"),
    ],
)
def test_api_bad_input_is_a_clear_422_with_nothing_written(
    client: TestClient, db: Session, district: District, change: dict[str, object], field: str
) -> None:
    operator, _ = make_user(db, Role.OPERATOR)
    body = {
        "elder_id": district.elder.id, "item_code": "bath_home", "weekdays": [MON],
        "start_time": "14:00", "end_time": "16:00", "start_date": "2026-11-23",
    } | change  # fmt: skip
    resp = client.post(
        "/api/v1/recurring-orders", json=body, headers=_auth(client, operator) | {"Accept-Language": "zh-CN"}
    )  # fmt: skip
    assert resp.status_code == 422, resp.text
    problems = resp.json()["error"]["problems"]
    assert field in {p["field"] for p in problems}
    assert all(p["message"] for p in problems)
    assert _count(db, RecurringOrder) == 0 and _count(db, ServiceOrder) == 0

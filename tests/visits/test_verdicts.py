"""Stored verdicts: they follow every fact change, and the queue they serve lists what the
rules would list, paged, in every reader's scope; migration 0031 backfills them."""

from __future__ import annotations

from datetime import UTC, timedelta

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock, database_url, scratch_database
from tests.visits.pay_scene import bad_visit, deliver, street_b_visit
from tests.visits.scene import POLICY, Scene, accept, make_scene, place_order
from tests.visits.test_api import auth
from tests.web.test_order_pages import login
from yiyang.db import make_engine
from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.pagination import PageParams
from yiyang.migrate import alembic_config, upgrade
from yiyang.orders.models import ServiceOrder
from yiyang.security.roles import Role
from yiyang.security.scope import Binding
from yiyang.security.subject import Subject
from yiyang.visits import complaints, feedback
from yiyang.visits.care_schemas import ComplaintClose
from yiyang.visits.payment import assessing, exceptions
from yiyang.visits.payment.models import VisitVerdict, VisitVerdictReason
from yiyang.visits.payment.schemas import ExceptionFilter, ReviewIn
from yiyang.visits.schemas import ComplaintIn, CorrectionIn, RatingIn

MONTH = "2026-11"
STATES = ("open", "asked", "rejected", "approved", "all")
REASONS = (None, "early_arrival", "outside_geofence", "elder_not_home", "rejected")


def _stored(db: Session, order_id: int) -> tuple[str, bool, list[str]] | None:
    """The stored verdict of an order: (state, payable, reason codes in order)."""
    verdict = db.get(VisitVerdict, order_id, populate_existing=True)
    if verdict is None:
        return None
    codes = db.scalars(
        select(VisitVerdictReason.reason)
        .where(VisitVerdictReason.order_id == order_id)
        .order_by(VisitVerdictReason.position)
    )
    return verdict.state, verdict.payable, list(codes)


def _live(db: Session, order: ServiceOrder) -> tuple[str, bool, list[str]]:
    """What the rules say of the order now (the old path's judgement)."""
    district = make_user(db, Role.DISTRICT_ADMIN)[1]
    [item] = [a for a in assessing.delivered_in(db, district, MONTH, None, POLICY)
              if a.order.id == order.id]  # fmt: skip
    return item.state, item.pay.payable, [str(r) for r in item.pay.reasons]


def _judged(db: Session, order: ServiceOrder) -> tuple[str, bool, list[str]] | None:
    stored = _stored(db, order.id)
    assert stored == _live(db, order)  # the stored verdict is the rules' answer
    return stored


def _review(
    db: Session, who: Subject, order: ServiceOrder, decision: str, clock: FakeClock
) -> None:
    exceptions.review(
        db, who, order.id, ReviewIn(decision=decision, reason="Called the family."),
        now=clock.now, policy=POLICY, locale="en",
    )  # fmt: skip


def _another(db: Session, scene: Scene, clock: FakeClock) -> ServiceOrder:
    """One more bath for the scene's elder, accepted by the scene's caregiver within their
    weekday 9-to-5 (on the next working morning when today's is over)."""
    local = clock.now.astimezone(CHINA_TZ)
    if local.hour >= 13:
        local = local.replace(hour=9, minute=0) + timedelta(days=1)
        while local.weekday() >= 5:
            local += timedelta(days=1)
        clock.now = local.astimezone(UTC)
    order = place_order(db, scene.d, clock, scene.operator)
    accept(db, order, scene.provider_admin, scene.carer, clock.now)
    return order


def test_the_stored_verdict_follows_each_fact_change(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    _, street = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    _, family = make_user(db, Role.FAMILY, elder=scene.d.elder)
    assert _stored(db, scene.order.id) is None  # not delivered yet: no verdict
    short = deliver(db, scene.order, scene.carer, clock, minutes=20, short_reason="elder_not_home")
    assert _judged(db, short) == ("open", False, ["elder_not_home"])
    _review(db, street, short, "ask", clock)
    assert _judged(db, short) == ("asked", False, ["elder_not_home", "asked_provider"])
    _review(db, scene.provider_admin, short, "answer", clock)
    assert _judged(db, short) == ("open", False, ["elder_not_home"])
    _review(db, street, short, "approve", clock)
    assert _judged(db, short) == ("approved", True, ["elder_not_home"])
    _review(db, street, short, "reject", clock)
    assert _judged(db, short) == ("rejected", False, ["elder_not_home", "rejected"])

    explained = deliver(
        db, _another(db, scene, clock), scene.carer, clock, minutes=20, short_reason="tasks_done"
    )
    assert _judged(db, explained) == ("payable", True, [])  # a listed reason explains it
    filed = feedback.file_complaint(
        db, family, explained.id, ComplaintIn(category="quality", text="没洗完"), now=clock.now,
        policy=POLICY,
    )  # fmt: skip
    assert _judged(db, explained) == ("open", False, ["open_complaint"])
    complaints.close(
        db, scene.operator, filed.id, ComplaintClose(outcome="not_upheld", text="家属确认已完成"),
        now=clock.now, policy=POLICY,
    )  # fmt: skip
    assert _judged(db, explained) == ("payable", True, [])
    feedback.confirm(db, family, explained.id, RatingIn(score=1), now=clock.now, policy=POLICY)
    assert _judged(db, explained) == ("open", False, ["rated_not_done"])

    corrected = deliver(db, _another(db, scene, clock), scene.carer, clock)
    assert _judged(db, corrected) == ("payable", True, [])
    visit_in = clock.now - timedelta(minutes=60)
    feedback.correct(
        db, street, corrected.id,
        CorrectionIn(field_name="check_out_at", value=visit_in + timedelta(minutes=10),
                     reason="forgot_to_check_out"),
        now=clock.now, policy=POLICY,
    )  # fmt: skip
    assert _judged(db, corrected) == (
        "open", False, ["short_visit", "short_no_reason", "manual_times"]
    )  # fmt: skip


def _old_path(db: Session, who: Subject, flt: ExceptionFilter) -> list[tuple[int, str, list[str]]]:
    """The queue as it was computed before verdicts were stored: every visit of the month
    assessed in Python, then filtered by state and reason."""
    provider_id = flt.provider_id
    if who.scope.binding is Binding.PROVIDER:
        provider_id = who.scope.bound_id
    found = assessing.delivered_in(db, who, MONTH, provider_id, POLICY)
    items = [a for a in found if a.state != "payable" and (a.pay.reasons or a.reviews)]
    if flt.state != "all":
        items = [a for a in items if a.state == flt.state]
    if flt.reason:
        items = [a for a in items if flt.reason in a.pay.reasons]
    return [(a.order.id, a.state, [str(r) for r in a.pay.reasons]) for a in items]


def _queue(
    db: Session, who: Subject, flt: ExceptionFilter, clock: FakeClock
) -> list[tuple[int, str, list[str]]]:
    """The queue as it is now: one page, from the stored verdicts."""
    page = exceptions.list_exceptions(
        db, who, flt, PageParams(size=500), now=clock.now, locale="en"
    )
    assert page.total == len(page.items)
    return [(i.order_id, i.state, [r.code for r in i.reasons]) for i in page.items]


def test_the_queue_lists_what_the_old_python_path_listed_in_every_scope(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    _, street_a = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    _, street_b = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_b)
    bad = bad_visit(db, scene, clock)
    made = [deliver(db, _another(db, scene, clock), scene.carer, clock, minutes=20,
                    short_reason=why) for why in ("elder_not_home",) * 3 + ("tasks_done",)]  # fmt: skip
    _review(db, district, made[0], "ask", clock)
    _review(db, district, made[1], "reject", clock)
    _review(db, district, made[2], "approve", clock)
    b = street_b_visit(db, scene, clock)  # street b, provider 3: disputed
    feedback.file_complaint(
        db, scene.operator, b.order.id, ComplaintIn(category="quality", text="没来"),
        now=clock.now, policy=POLICY,
    )  # fmt: skip
    readers = [district, street_a, street_b, scene.provider_admin, b.provider_admin]
    for who in readers:
        for state in STATES:
            for reason in REASONS:
                flt = ExceptionFilter(month=MONTH, state=state, reason=reason)
                assert _queue(db, who, flt, clock) == _old_path(db, who, flt), (who.role, flt)
    for provider in (scene.d.p1.id, b.order.provider_id):
        flt = ExceptionFilter(month=MONTH, state="all", provider_id=provider)
        assert _queue(db, district, flt, clock) == _old_path(db, district, flt)
    everything = ExceptionFilter(month=MONTH, state="all")
    waiting = sorted([bad, *made[:3]], key=lambda o: (o.window_start_at, o.id))
    mine = [o.id for o in waiting]  # oldest window first; the explained visit is payable
    assert [i for i, _, _ in _queue(db, district, everything, clock)] == [*mine, b.order.id]
    assert [i for i, _, _ in _queue(db, street_a, everything, clock)] == mine  # its street
    assert [i for i, _, _ in _queue(db, street_b, everything, clock)] == [b.order.id]
    assert [i for i, _, _ in _queue(db, b.provider_admin, everything, clock)] == [b.order.id]
    only_b = ExceptionFilter(month=MONTH, state="all", provider_id=b.order.provider_id)
    assert [i for i, _, _ in _queue(db, scene.provider_admin, only_b, clock)] == mine  # its own
    assert _queue(db, street_a, only_b, clock) == []  # out of scope: nothing
    assert _queue(db, district, ExceptionFilter(month="2026-10", state="all"), clock) == []


def test_paging_goes_past_the_first_page_with_a_page_count(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    made = [deliver(db, scene.order, scene.carer, clock, minutes=20, short_reason="elder_not_home")]
    made += [deliver(db, _another(db, scene, clock), scene.carer, clock, minutes=20,
                     short_reason="elder_not_home") for _ in range(4)]  # fmt: skip
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    flt = ExceptionFilter(month=MONTH)
    pages = [
        exceptions.list_exceptions(
            db, district, flt, PageParams(page=n, size=2), now=clock.now, locale="en"
        )
        for n in (1, 2, 3, 4)
    ]
    assert [p.total for p in pages] == [5] * 4
    assert [[i.order_id for i in p.items] for p in pages] == [
        [made[0].id, made[1].id], [made[2].id, made[3].id], [made[4].id], []
    ]  # fmt: skip
    assert pages[0].total_fen == sum(o.price_fen for o in made)
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    resp = client.get(
        "/api/v1/exceptions", params={"month": MONTH, "page": 3, "size": 2},
        headers=auth(client, user.username),
    )  # fmt: skip
    body = resp.json()
    assert resp.status_code == 200 and body["total"] == 5 and body["page"] == 3
    assert [i["order_id"] for i in body["items"]] == [made[4].id]
    login(client, user)
    page = client.get("/exceptions", params={"month": MONTH, "lang": "en"}).text
    assert 'data-total="5"' in page and "Page 1 of 1" in page
    assert page.count('data-testid="exception-row"') == 5
    fragment = client.get(
        "/exceptions", params={"month": MONTH, "page": 2},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )  # fmt: skip
    assert 'data-testid="exception-row"' not in fragment.text and "<html" not in fragment.text
    assert fragment.headers["HX-Push-Url"] == f"/exceptions?month={MONTH}&page=2"


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _all_verdicts(engine: Engine) -> dict[int, tuple[str, bool, list[str]] | None]:
    with Session(engine) as s:
        ids = list(s.scalars(select(VisitVerdict.order_id)))
        return {i: _stored(s, i) for i in ids}


def test_0031_backfills_the_verdicts_of_existing_visits(clock: FakeClock) -> None:
    with scratch_database(database_url()) as url:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as s:  # visits delivered, reviewed and disputed by today's code
            scene = make_scene(s, clock)
            _, district = make_user(s, Role.DISTRICT_ADMIN)
            bad = bad_visit(s, scene, clock)
            asked = deliver(
                s, _another(s, scene, clock), scene.carer, clock, minutes=20,
                short_reason="elder_not_home",
            )  # fmt: skip
            _review(s, district, asked, "ask", clock)
            _review(s, district, bad, "approve", clock)
            disputed = deliver(s, _another(s, scene, clock), scene.carer, clock)
            feedback.file_complaint(
                s, scene.operator, disputed.id, ComplaintIn(category="quality", text="没来"),
                now=clock.now, policy=POLICY,
            )  # fmt: skip
            _another(s, scene, clock)  # accepted, not delivered: no verdict
            b = street_b_visit(s, scene, clock)
            s.commit()
            ids = [bad.id, asked.id, disputed.id, b.order.id]
        written = _all_verdicts(engine)
        assert sorted(written) == sorted(ids)
        _downgrade(engine, "0030")  # the tables go, the visits stay
        upgrade(engine)
        assert _all_verdicts(engine) == written
        assert written[asked.id] == ("asked", False, ["elder_not_home", "asked_provider"])
        assert written[bad.id] == ("approved", True, ["outside_geofence", "early_arrival"])
        assert written[disputed.id] == ("open", False, ["open_complaint"])
        assert written[b.order.id] == ("payable", True, [])
        engine.dispose()

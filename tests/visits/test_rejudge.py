"""Stored verdicts judged again after the visit thresholds change: the worker's timer."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import make_user
from tests.conftest import FakeClock, Live
from tests.visits.pay_scene import deliver, street_b_visit
from tests.visits.scene import POLICY, SETTINGS, make_scene
from yiyang.cli import app
from yiyang.config import get_settings
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.kit.pagination import PageParams
from yiyang.security.roles import Role
from yiyang.visits import rules as visit_rules
from yiyang.visits.payment import exceptions, rejudge, repository
from yiyang.visits.payment.models import VisitVerdict
from yiyang.visits.payment.schemas import ExceptionFilter
from yiyang.visits.payment.tally import tally_between

MONTH = "2026-11"
STRICTER = replace(POLICY, short_share=1.0)  # a bath under its standard 60 minutes is short
STRICTER_SETTINGS = SETTINGS.model_copy(update={"visit_short_share": 1.0})


def _fire_all(db: Session, clock: FakeClock) -> int:
    """Fire the pending re-judging timers one by one, as the worker's ticks would."""
    fired = 0
    while pending := timers.pending(db, rejudge.REJUDGE):
        timer = pending[0]
        clock.now = max(clock.now, timer.due_at)
        rejudge.run_rejudge(
            TimerContext(session=db, now=clock.now, settings=STRICTER_SETTINGS), timer
        )
        timer.fired_at = clock.now
        db.flush()
        fired += 1
    return fired


def test_new_thresholds_rejudge_stored_verdicts_and_the_report_does_not_wait(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    b = street_b_visit(db, scene, clock, minutes=50)
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    key = visit_rules.policy_key(STRICTER)
    assert key != visit_rules.policy_key(POLICY)
    start, end = visit_rules.month_bounds(MONTH)
    counted = tally_between(
        db, district, start, end, provider_id=None, street_ids=None, policy=STRICTER
    )
    assert counted.reasons["short_visit"] == 1  # judged from rows: the verdict is stale
    assert repository.stale_delivered_ids(db, key, 0, 10) == [b.order.id]
    assert rejudge.ensure_timer(db, clock.now, STRICTER)
    assert _fire_all(db, clock) == 1
    verdict = db.get(VisitVerdict, b.order.id)
    assert verdict is not None and verdict.policy == key and not verdict.payable
    assert repository.verdict_reasons(db, [b.order.id]) == {b.order.id: ["short_visit"]}
    queue = exceptions.list_exceptions(
        db, district, ExceptionFilter(month=MONTH, reason="short_visit"), PageParams(),
        now=clock.now, locale="en",
    )  # fmt: skip
    assert [i.order_id for i in queue.items] == [b.order.id]
    assert not rejudge.ensure_timer(db, clock.now, STRICTER)  # nothing stale is left
    again = tally_between(
        db, district, start, end, provider_id=None, street_ids=None, policy=STRICTER
    )
    assert again == counted


def test_rejudging_goes_a_batch_per_tick_until_none_is_left(
    db: Session, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = make_scene(db, clock)
    b = street_b_visit(db, scene, clock, minutes=50)
    deliver(db, scene.order, scene.carer, clock, minutes=50)
    monkeypatch.setattr(rejudge, "BATCH", 1)
    assert rejudge.ensure_timer(db, clock.now, STRICTER)
    assert rejudge.ensure_timer(db, clock.now, STRICTER)  # armed once, not twice
    assert len(timers.pending(db, rejudge.REJUDGE)) == 1
    assert _fire_all(db, clock) == 3  # one visit, the next, then an empty batch that stops
    key = visit_rules.policy_key(STRICTER)
    for order_id in sorted((b.order.id, scene.order.id)):
        verdict = db.get(VisitVerdict, order_id)
        assert verdict is not None and verdict.policy == key
    assert repository.stale_delivered_ids(db, key, 0, 10) == []


def test_the_command_judges_every_stale_verdict_a_transaction_per_batch(
    live: Live, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live.factory() as s, s.begin():
        scene = make_scene(s, clock)
        ids = sorted((street_b_visit(s, scene, clock, minutes=50).order.id, scene.order.id))
        deliver(s, scene.order, scene.carer, clock, minutes=50)
    assert rejudge.rejudge_all(live.factory, STRICTER, lambda: clock.now, size=1) == 2
    with live.factory() as s:
        assert [s.get(VisitVerdict, i).policy for i in ids] == [
            visit_rules.policy_key(STRICTER)
        ] * 2  # type: ignore[union-attr]
    url = live.factory.kw["bind"].url.render_as_string(hide_password=False)
    monkeypatch.setenv("YIYANG_DATABASE_URL", url)
    monkeypatch.setenv("YIYANG_VISIT_SHORT_SHARE", "0.5")  # back to the default thresholds
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["visits", "rejudge"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Visits judged again under the current thresholds: 2" in result.output
    with live.factory() as s:
        assert repository.stale_delivered_ids(s, visit_rules.policy_key(POLICY), 0, 10) == []

"""The supervisor's figures: queue depth, today's answer times, operators' load, reviews."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.alarms.handling.conftest import NOON, operator, sos
from tests.builders import make_elder, make_tree, make_user
from yiyang.alarms import figures
from yiyang.alarms.handling import service
from yiyang.alarms.handling.models import AlarmReview
from yiyang.alarms.handling.schemas import CloseIn
from yiyang.alarms.kinds import AlarmType
from yiyang.errors import Forbidden
from yiyang.security.roles import Role

SEC = timedelta(seconds=1)


def test_figures_of_the_day(db: Session) -> None:
    tree = make_tree(db)
    elders = [make_elder(db, tree.comm_a1, name=f"老人{i}") for i in range(4)]
    yesterday = sos(db, elders[0], type_=AlarmType.FALL, at=NOON - timedelta(days=1))
    quick = sos(db, elders[0], at=NOON)
    slow = sos(db, elders[1], at=NOON)
    unanswered = sos(db, elders[2], at=NOON)
    fresh = sos(db, elders[3], at=NOON + 290 * SEC)
    ann, bob = operator(db), operator(db)
    service.acknowledge(db, ann, quick.id, now=NOON + 20 * SEC)
    service.acknowledge(db, bob, slow.id, now=NOON + 100 * SEC)
    service.acknowledge(db, ann, yesterday.id, now=NOON - timedelta(days=1) + 30 * SEC)
    service.close(db, ann, quick.id, CloseIn(disposition="false_alarm"), now=NOON + 60 * SEC)
    db.add(AlarmReview(alarm_id=unanswered.id, reason="not_answered_180s", opened_at=NOON))
    db.flush()
    boss = operator(db, Role.SUPERVISOR)
    got = figures.figures(db, boss, now=NOON + 300 * SEC)
    assert (got.open, got.waiting) == (4, 2)  # yesterday's, slow, unanswered, fresh
    within_60, within_180 = got.compliance
    # today: quick 20 s, slow 100 s, unanswered 300 s, fresh 10 s (not counted yet)
    assert (within_60.answered, within_60.counted) == (1, 3)
    assert (within_180.answered, within_180.counted) == (2, 3)
    assert within_60.met is False and within_180.target == 0.995
    by_id = {o.user_id: (o.holding, o.handled_today) for o in got.operators}
    # ann holds yesterday's fall and handled `quick` today; bob holds and handled `slow`
    assert by_id == {ann.user_id: (1, 1), bob.user_id: (1, 1)}
    assert [r.alarm_id for r in got.open_reviews] == [unanswered.id]
    assert fresh.id not in [r.alarm_id for r in got.open_reviews]


def test_figures_are_the_supervisors(db: Session) -> None:
    with pytest.raises(Forbidden):
        figures.figures(db, operator(db), now=NOON)
    _, street = make_user(db, Role.STREET_ADMIN, area=make_tree(db).street_a)
    with pytest.raises(Forbidden):
        figures.figures(db, street, now=NOON)

"""The assessor's due queue is a query: the interval ends on a China calendar day, a newer
assessment answers a fall or a hospital stay, counts cover every page, out of scope is none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from tests.conftest import FakeClock
from yiyang.alarms import repository as alarm_repository
from yiyang.alarms.models import Alarm
from yiyang.console.assessment_queue import RISK_ALARMS, stale_before
from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.pagination import PageParams
from yiyang.registry.assessments import repository as assessment_repository
from yiyang.registry.assessments import rules
from yiyang.registry.assessments.models import Assessment
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.security.subject import Subject


def _assessed(db: Session, elder: Elder, at: datetime) -> None:
    db.add(
        Assessment(
            elder_id=elder.id, assessed_at=at, standard=rules.STANDARD, scores={}, facts={},
            total=90, score_level=0, level=0, adjustments=[],
        )
    )  # fmt: skip


def _fell(db: Session, elder: Elder, at: datetime) -> None:
    db.add(
        Alarm(
            type="fall", severity=1, originator=f"elder:{elder.id}", elder_id=elder.id,
            street_id=elder.street_id, community_id=elder.community_id, raised_at=at, last_at=at,
        )
    )  # fmt: skip


def _due(
    db: Session, who: Subject, now: datetime, page: PageParams = PageParams()
) -> tuple[list[tuple[int, tuple[str, ...]]], int, dict[str, int]]:
    items, total, counts = assessment_repository.due_page(
        db, who, alarm_repository.latest_by_elder(who, RISK_ALARMS), now=now,
        stale_before=stale_before(now, 12), page=page,
    )  # fmt: skip
    return [(d.row.elder.id, d.reasons) for d in items], total, counts


def test_the_interval_ends_on_a_china_calendar_day_and_a_newer_assessment_answers_a_change(
    db: Session, clock: FakeClock
) -> None:
    tree = make_tree(db)
    now = clock.now  # 2026-11-23 09:00 in Zhengzhou
    on_the_day = make_elder(db, tree.comm_a1, name="整一年")
    day_after = make_elder(db, tree.comm_a1, name="差一天")
    fell_before = make_elder(db, tree.comm_a1, name="评前摔")
    fell_after = make_elder(db, tree.comm_a2, name="评后摔")
    back_home = make_elder(db, tree.comm_a2, name="出院")
    never = make_elder(db, tree.comm_b1, name="未评")
    late_evening = datetime(2025, 11, 23, 23, 30, tzinfo=CHINA_TZ).astimezone(UTC)
    _assessed(db, on_the_day, late_evening)  # a year ago today, late: due
    _assessed(db, day_after, late_evening + timedelta(hours=1))  # 2025-11-24 00:30: not yet
    for elder in (fell_before, fell_after, back_home):
        _assessed(db, elder, now - timedelta(days=30))
    _fell(db, fell_before, now - timedelta(days=40))  # answered by the assessment after it
    _fell(db, fell_after, now - timedelta(days=2))
    back_home.away_reason, back_home.away_until = "hospital", now - timedelta(days=1)
    db.flush()
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    items, total, counts = _due(db, district, now)
    assert items == [
        (fell_after.id, ("fall",)),
        (back_home.id, ("hospital",)),
        (never.id, ("never",)),
        (on_the_day.id, ("interval",)),
    ]
    assert total == 4 and counts == {"fall": 1, "hospital": 1, "never": 1, "interval": 1}
    first, total, counts = _due(db, district, now, PageParams(page=2, size=3))
    assert first == [(on_the_day.id, ("interval",))] and total == 4 and counts["never"] == 1
    _, street_b = make_user(db, Role.STREET_ADMIN, area=tree.street_b)
    assert _due(db, street_b, now)[0] == [(never.id, ("never",))]  # only its street

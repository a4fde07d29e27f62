"""A day of the small district for the report: one bath served in street a (with a complaint
and an alarm answered in 30 s), one order waiting in street b with another provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.visits.scene import POLICY, TwoStreets, deliver, make_two_streets
from yiyang.alarms.handling import service as handling
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.console.reports.period import Period
from yiyang.kit.localtime import local_today
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.visits import feedback
from yiyang.visits.schemas import ComplaintIn


@dataclass
class ReportWorld:
    """The district's day and the people who read its report."""

    two: TwoStreets
    alarm: Alarm
    admin: UserAccount
    street_a: UserAccount
    caregiver: UserAccount
    today: date

    @property
    def day(self) -> Period:
        """Just today."""
        return Period(self.today, self.today)


def make_world(db: Session, clock: FakeClock) -> ReportWorld:
    """Serve the scene's bath, complain about it, raise and answer an SOS in street a."""
    two = make_two_streets(db, clock)
    scene = two.scene
    deliver(db, scene, scene.order, scene.carer, clock)
    feedback.file_complaint(
        db, scene.operator, scene.order.id, ComplaintIn(category="lateness", text="来晚了"),
        now=clock.now, policy=POLICY,
    )  # fmt: skip
    elder = scene.d.elder
    raised = clock.now - timedelta(minutes=2)
    alarm, _ = raise_or_repeat(
        db, AlarmType.SOS,
        Origin(originator=f"elder:{elder.id}", elder_id=elder.id, street_id=elder.street_id,
               community_id=elder.community_id),
        now=raised,
    )  # fmt: skip
    handling.acknowledge(db, scene.operator, alarm.id, now=raised + timedelta(seconds=30))
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    street_a, _ = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    db.flush()
    return ReportWorld(two, alarm, admin, street_a, scene.carer_user, local_today(clock.now))

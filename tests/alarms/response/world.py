"""A small district for responder tests: an elder with an SOS alarm, two caregivers at
centres near and far, a community worker, and the family's account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tests.builders import (
    INSIDE,
    Tree,
    make_elder,
    make_facility,
    make_provider,
    make_staff,
    make_tree,
    make_user,
)
from yiyang.alarms.handling import service as handling
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.registry.elders.models import Elder
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

EVERY_DAY = {d: ["07:00", "19:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NEAR = (34.8020, 113.6735)  # ~210 m from the elder
FAR = (34.8300, 113.7100)  # ~4.7 km


@dataclass
class World:
    tree: Tree
    elder: Elder
    alarm: Alarm
    near: UserAccount  # caregiver at the near centre
    far: UserAccount  # caregiver at the far centre (another community)
    worker: UserAccount  # community worker of the elder's community
    family: UserAccount
    operator: Subject
    operator_user: UserAccount


def make_world(db: Session, now: datetime) -> World:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1, name="王秀英", lat_lon=INSIDE)
    provider = make_provider(db)
    near_centre = make_facility(
        db, tree.street_a, community=tree.comm_a1, provider=provider, lat_lon=NEAR
    )
    far_centre = make_facility(
        db, tree.street_a, community=tree.comm_a2, provider=provider, name="北林社区服务站",
        lat_lon=FAR,
    )  # fmt: skip
    near_staff = make_staff(db, provider, facility=near_centre, name="刘芳")
    far_staff = make_staff(db, provider, facility=far_centre, name="赵强", phone="13700002222")
    for s in (near_staff, far_staff):
        s.working_pattern = EVERY_DAY
    near, _ = make_user(db, Role.CAREGIVER, staff_id=near_staff.id, username="caregiver1")
    far, _ = make_user(db, Role.CAREGIVER, staff_id=far_staff.id)
    worker, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    worker.display_name = "李明"
    family, _ = make_user(db, Role.FAMILY, elder=elder, username="family1")
    operator_user, operator = make_user(db, Role.OPERATOR)
    db.flush()
    alarm, _ = raise_or_repeat(
        db, AlarmType.SOS,
        Origin(
            originator=f"elder:{elder.id}", elder_id=elder.id, street_id=elder.street_id,
            community_id=elder.community_id,
        ),
        now=now,
    )  # fmt: skip
    db.flush()
    handling.acknowledge(db, operator, alarm.id, now=now)  # a responder is sent while handled
    return World(tree, elder, alarm, near, far, worker, family, operator, operator_user)

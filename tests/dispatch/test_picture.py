"""The caregiver picture a worker keeps between orders is never staler than a fresh read:
each change to staff, skills or facilities, committed in a transaction of its own, is seen
by the next order's transaction, and a rolled-back change never is (ADR 0007)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import make_facility, make_provider, make_staff, make_tree
from yiyang.db import make_session_factory, unit_of_work
from yiyang.dispatch import picture, states
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff, StaffSkill

MONDAY = date(2026, 11, 23)


def seen(factory: sessionmaker[Session]) -> dict[int, tuple[int, dict[str, int], int]]:
    """Each caregiver the next order would weigh: shifts, skills, hour of the first shift."""
    with unit_of_work(factory) as s:
        return {
            c.staff_id: (len(c.shifts), dict(c.skills), c.shifts[0].start.hour if c.shifts else -1)
            for c in states.caregivers_for(s, MONDAY)
        }


def test_each_committed_change_is_seen_by_the_next_order(own_engine: Engine) -> None:
    factory = make_session_factory(own_engine)
    with unit_of_work(factory) as s:
        tree = make_tree(s)
        provider = make_provider(s)
        facility = make_facility(s, tree.street_a, provider=provider)
        first = make_staff(s, provider, facility=facility).id
        facility_id, provider_id = facility.id, provider.id
    assert set(seen(factory)) == {first}
    with unit_of_work(factory) as s:
        kept = picture.current(s)
    with unit_of_work(factory) as s:
        assert picture.current(s) is kept  # nothing changed: the kept picture, no reads

    with unit_of_work(factory) as s:  # a new caregiver
        second = make_staff(
            s, s.get_one(Provider, provider_id), facility=s.get_one(Facility, facility_id)
        ).id
    assert set(seen(factory)) == {first, second}

    with unit_of_work(factory) as s:  # a changed working pattern
        s.get_one(Staff, second).working_pattern = {"mon": ["14:00", "20:00"]}
    assert seen(factory)[second][2] == 6  # 14:00 in Zhengzhou is 06:00 UTC

    with unit_of_work(factory) as s:  # a new skill, through its own table only
        s.add(StaffSkill(staff_id=second, skill="bathing", level=4))
    assert seen(factory)[second][1] == {"cleaning": 3, "bathing": 4}

    with unit_of_work(factory) as s:  # a skill taken away by a bulk statement
        s.execute(
            delete(StaffSkill).where(StaffSkill.staff_id == second, StaffSkill.skill == "bathing")
        )
    assert seen(factory)[second][1] == {"cleaning": 3}

    with unit_of_work(factory) as s:  # the home facility closes
        s.get_one(Facility, facility_id).active = False
    assert seen(factory) == {}


def test_a_rolled_back_change_is_never_seen(own_engine: Engine) -> None:
    factory = make_session_factory(own_engine)
    before = seen(factory)
    s = factory()
    tree_street = s.get_one(Facility, next(iter(s.scalars(select(Facility.id))))).street_id
    provider = s.scalars(select(Provider)).first()
    assert provider is not None
    facility = Facility(
        code="F-RB", name="回滚", kind="day_care_centre", street_id=tree_street,
        address="文化路 3 号", lat=34.78, lon=113.66, phone="0371-6000002", active=True,
        provider_id=provider.id,
    )  # fmt: skip
    s.add(facility)
    s.flush()
    ghost = make_staff(s, provider, facility=facility).id
    assert ghost in {c.staff_id for c in states.caregivers_for(s, MONDAY)}  # its own write
    s.rollback()
    s.close()
    assert seen(factory) == before


def test_every_watched_table_has_its_trigger_at_head(engine: Engine) -> None:
    """A later migration that rebuilds one of these tables (SQLite's batch copy-and-move)
    must create its trigger again, or the kept pictures would go stale unseen."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = set(
                conn.scalars(text("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"))
            )
        else:
            found = set(
                conn.scalars(
                    text(
                        "SELECT event_object_table FROM information_schema.triggers"
                        " WHERE action_statement LIKE '%dispatch_picture_changed%'"
                    )
                )
            )
    assert {"staff", "staff_skill", "facility"} <= found

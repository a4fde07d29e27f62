"""`seed_demo` writes the demo district into a migrated database, once, with working logins."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.orm import Session

from yiyang.alarms import tasks
from yiyang.alarms.rule_models import RuleState
from yiyang.config import Settings
from yiyang.db import make_engine
from yiyang.demo import DEMO_PASSWORD, SeedReport, generate_district, seed_catalog
from yiyang.demo import seed_demo as run_seed
from yiyang.devices.models import Device
from yiyang.errors import Conflict, Invalid
from yiyang.kit.clock import utcnow
from yiyang.migrate import upgrade
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceItem, ServicePrice
from yiyang.registry.elders.models import Elder, ElderContact, ElderGroup
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff, StaffSkill
from yiyang.security.models import UserAccount
from yiyang.security.passwords import verify_password
from yiyang.security.roles import Role

ELDERS = 300
PASSIVE_KEYS = ("motion", "door", "water")


@pytest.fixture(scope="module")
def seed_engine() -> Iterator[Engine]:
    """A fresh migrated database of its own: a private PostgreSQL database or a temp SQLite file."""
    url = os.environ.get("YIYANG_DATABASE_URL")
    if not url:
        path = Path(tempfile.mkdtemp(prefix="yiyang-seed-")) / "seed.sqlite3"
        eng = make_engine(f"sqlite:///{path}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    # A private database is a clean schema that no parallel test run can see or clobber.
    base = make_url(url)
    name = f"{base.database}_seed_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng = make_engine(base.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def report(seed_engine: Engine) -> SeedReport:
    return run_seed(seed_engine, elders=ELDERS, seed=2026)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_writes_every_generated_row(seed_engine: Engine, report: SeedReport) -> None:
    expected = generate_district(ELDERS, seed=2026).counts()
    for table, n in expected.items():
        assert report.counts[table] == n, table
    with Session(seed_engine) as session:
        assert _count(session, Elder) == ELDERS
        assert _count(session, Area) == expected["area"]
        assert _count(session, Provider) == 12
        assert _count(session, Facility) == expected["facility"]
        assert _count(session, Staff) == 600
        assert _count(session, StaffSkill) == expected["staff_skill"]
        assert _count(session, ElderGroup) == expected["elder_group"]
        assert _count(session, ElderContact) == expected["elder_contact"]
        assert _count(session, ServiceItem) == report.counts["service_item"] > 20
        assert _count(session, ServicePrice) >= report.counts["service_item"]
        rows = session.execute(select(Facility.kind, func.count()).group_by(Facility.kind))
        kinds = {kind: n for kind, n in rows.tuples()}
        assert kinds["street_centre"] == 17 and kinds["day_care_centre"] == 174
        elder = session.scalars(select(Elder).order_by(Elder.id)).first()
        assert elder is not None and elder.created_at.tzinfo is not None
        centre = session.scalars(
            select(Facility).where(Facility.name == "丰庆路街道养老服务中心")
        ).one()
        assert centre.opening_hours["mon"] == ["08:00", "18:00"]
    assert report.seconds > 0


def test_demo_logins_cover_every_role_with_scope(seed_engine: Engine, report: SeedReport) -> None:
    assert {role for _, _, role in report.logins} == {str(r) for r in Role}
    assert all(password == DEMO_PASSWORD for _, password, _ in report.logins)
    with Session(seed_engine) as session:
        users = {u.username: u for u in session.scalars(select(UserAccount))}
        assert verify_password(users["admin"].password_hash, DEMO_PASSWORD)
        beilin = session.get(Area, users["beilin"].area_id)
        assert beilin is not None and beilin.name == "北林路街道"
        wenya = session.get(Area, users["wenya"].area_id)
        assert wenya is not None and wenya.name == "文雅社区"
        elder = session.get(Elder, users["elder1"].elder_id)
        assert elder is not None and elder.community_id == wenya.id
        assert users["family1"].elder_id == elder.id
        staff = session.get(Staff, users["caregiver1"].staff_id)
        centre = session.scalars(
            select(Facility).where(Facility.name == "丰庆路街道养老服务中心")
        ).one()
        assert staff is not None and staff.facility_id == centre.id
        assert users["provider1"].provider_id == centre.provider_id
        skills = session.scalars(select(StaffSkill.skill).where(StaffSkill.staff_id == staff.id))
        assert "bathing" in set(skills)
        # the call centre's escalation texts reach the demo's supervisor and operator
        assert users["supervisor1"].phone and users["operator1"].phone


def test_seeding_again_is_refused(seed_engine: Engine, report: SeedReport) -> None:
    with pytest.raises(Conflict) as err:
        run_seed(seed_engine, elders=10)
    assert "already has" in str(err.value)
    with Session(seed_engine) as session:
        assert _count(session, Elder) == ELDERS


def test_unknown_district_is_invalid(seed_engine: Engine) -> None:
    with pytest.raises(Invalid):
        run_seed(seed_engine, district="atlantis", elders=1)


def test_catalog_seed_is_idempotent_and_ids_continue(
    seed_engine: Engine, report: SeedReport
) -> None:
    with Session(seed_engine) as session, session.begin():
        assert seed_catalog(session) == 0
        # Explicit ids were written: new rows must still get fresh ids (PostgreSQL sequences).
        area = Area(code="410105999001", name="测试社区", level="community", parent_id=None)
        session.add(area)
        session.flush()
        assert area.id > _count(session, Area) - 1
        session.rollback()


def test_a_fresh_demo_raises_a_handful_of_passive_alarms_not_one_per_sensor(
    seed_engine: Engine, report: SeedReport
) -> None:
    """The seeded motion, door and water sensors saw life recently: the first sweep raises
    "no movement / door not opened for a day" only for the few really quiet homes."""
    kinds = ("motion_sensor", "door_sensor", "water_meter")
    with Session(seed_engine) as session:
        sensors = _count_where(session, kinds)
        states = session.scalar(
            select(func.count()).select_from(RuleState).where(RuleState.rule_key.in_(PASSIVE_KEYS))
        )
        assert sensors >= 10 and states == sensors  # every installed sensor has its last event
        result = tasks.sweep(session, utcnow(), Settings(secret_key="test-secret"))
        raised = sum(len(ids) for ids in result.raised.values())
        session.rollback()
    assert raised <= max(2, sensors // 20), (raised, sensors)


def _count_where(session: Session, kinds: tuple[str, ...]) -> int:
    stmt = select(func.count()).select_from(Device)
    stmt = stmt.where(Device.kind.in_(kinds), Device.status == "installed")
    return session.scalar(stmt) or 0

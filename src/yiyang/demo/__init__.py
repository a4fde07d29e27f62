"""The deterministic demo district (金水区) and the service catalog: `yiyang seed`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiyang.db import make_session_factory, unit_of_work
from yiyang.demo.catalog import load_catalog, seed_catalog
from yiyang.demo.generator import AS_OF, generate_district
from yiyang.demo.geography import DISTRICT_CODE
from yiyang.demo.loader import load_district
from yiyang.demo.records import DemoDistrict
from yiyang.demo.users import DEMO_PASSWORD, create_demo_users
from yiyang.errors import N_, Conflict, Invalid
from yiyang.kit.clock import utcnow
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceCategory, ServiceItem, ServicePrice
from yiyang.registry.elders.models import Elder

DISTRICTS = {"jinshui": DISTRICT_CODE}


@dataclass
class SeedReport:
    """What a seed wrote: rows per table, wall time, and the demo logins created."""

    counts: dict[str, int]
    seconds: float
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, password, role)


def _refuse_if_seeded(session: Session, code: str) -> None:
    """Raise Conflict when the district is already in the database."""
    district = session.scalar(select(Area).where(Area.code == code))
    if district is None:
        return
    streets = select(Area.id).where(Area.parent_id == district.id)
    elders = session.scalar(select(func.count(Elder.id)).where(Elder.street_id.in_(streets))) or 0
    if elders:
        raise Conflict(
            N_(
                "District %(name)s (%(district_code)s) already has %(elders)s elders; the demo "
                "seed only writes into an empty district. Use a fresh database, or keep the data "
                "you have."
            ),
            code="already_seeded",
            name=district.name,
            elders=elders,
            district_code=code,
        )
    raise Conflict(
        N_(
            "District %(name)s already has its areas but no elders; the demo seed only writes "
            "into an empty district. Use a fresh database."
        ),
        code="already_seeded",
        name=district.name,
    )


def seed_demo(
    engine: sqlalchemy.Engine,
    *,
    district: str = "jinshui",
    elders: int = 20_000,
    seed: int = 2026,
    with_users: bool = True,
    timings: dict[str, float] | None = None,
) -> SeedReport:
    """Seed the demo district in one transaction on a migrated schema; refuses a seeded one."""
    started = time.perf_counter()
    code = DISTRICTS.get(district)
    if code is None:
        raise Invalid(
            N_("Unknown demo district %(district)s; known: %(known)s."),
            field="district",
            district=district,
            known=", ".join(sorted(DISTRICTS)),
        )
    if elders < 0:
        raise Invalid(N_("The number of elders cannot be negative."), field="elders")
    times = timings if timings is not None else {}
    factory = make_session_factory(engine)
    with factory() as session:
        _refuse_if_seeded(session, code)  # fail fast, before generating
    step = time.perf_counter()
    data = generate_district(elders, seed)
    times["generate"] = time.perf_counter() - step
    with unit_of_work(factory) as session:
        _refuse_if_seeded(session, code)
        step = time.perf_counter()
        seed_catalog(session)
        times["catalog"] = time.perf_counter() - step
        counts = load_district(session, data, now=utcnow(), timings=times)
        for model in (ServiceCategory, ServiceItem, ServicePrice):
            counts[model.__tablename__] = session.scalar(select(func.count(model.id))) or 0
        logins: list[tuple[str, str, str]] = []
        if with_users:
            step = time.perf_counter()
            logins = create_demo_users(session)
            times["users"] = time.perf_counter() - step
        counts["user_account"] = len(logins)
        step = time.perf_counter()
    times["commit"] = time.perf_counter() - step
    return SeedReport(counts=counts, seconds=time.perf_counter() - started, logins=logins)


__all__ = [
    "AS_OF",
    "DEMO_PASSWORD",
    "DISTRICTS",
    "DemoDistrict",
    "SeedReport",
    "generate_district",
    "load_catalog",
    "seed_catalog",
    "seed_demo",
]

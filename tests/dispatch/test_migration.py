"""Dispatch migrations: 0005 (explanations as lines) and 0007 (no double booking), up and down."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import database_url, scratch_database
from tests.orders.builders import make_caregiver, make_district, window
from yiyang.config import PACKAGE_DIR, Settings
from yiyang.db import make_engine
from yiyang.dispatch import service as dispatch_service
from yiyang.dispatch.booking import NO_DOUBLE_BOOKING
from yiyang.dispatch.wording import explanation
from yiyang.migrate import alembic_config, upgrade
from yiyang.orders import service as order_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.rules import HOLDS_CAREGIVER
from yiyang.orders.schemas import OrderCreate
from yiyang.security.roles import Role

OLD = "王芳 chosen: 7 min away, 0% of the day booked. Found in the elder's own community."
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_old_text_becomes_one_line_and_a_downgrade_brings_text_back() -> None:
    with scratch_database(database_url()) as url:
        engine = make_engine(url)
        upgrade(engine)  # the order is made by today's code, the old rows at 0004 below
        with Session(engine) as s:
            d = make_district(s)
            _, operator = make_user(s, Role.OPERATOR)
            start, end = window(NOW)
            data = OrderCreate(
                elder_id=d.elder.id, item_code="bath_home", window_start=start, window_end=end
            )
            order, _ = order_service.create_order(
                s, operator, data, now=NOW, settings=Settings(secret_key="x")
            )
            s.commit()
            values = {"o": order.id, "at": NOW.replace(tzinfo=None), "old": OLD}
        _downgrade(engine, "0004")
        with Session(engine) as s:
            s.execute(
                text(
                    "INSERT INTO dispatch_decision (order_id, at, attempt, candidates, rejected, "
                    "explanation, outcome, manual) VALUES (:o, :at, 1, '[]', '{}', :old, "
                    "'unplaceable', false), (:o, :at, 2, '[]', '{}', '', 'offered', true)"
                ),
                values,
            )
            s.execute(
                text(
                    "INSERT INTO dispatch_queue_item (order_id, reason_code, detail, created_at) "
                    "VALUES (:o, 'busy', :detail, :at)"
                ),
                values | {"detail": json.dumps({"decision_id": 1, "explanation": OLD})},
            )
            s.commit()
        upgrade(engine, "0005")
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT explanation_lines, busy_overridden FROM dispatch_decision ORDER BY id")
            ).all()
            detail = _json(conn.execute(text("SELECT detail FROM dispatch_queue_item")).scalar())
        assert [(_json(lines), bool(flag)) for lines, flag in rows] == [
            ([{"t": OLD, "p": {}}], False),
            ([], False),
        ]
        assert isinstance(detail, dict) and detail["explanation"] == [{"t": OLD, "p": {}}]
        assert explanation("zh_CN", detail["explanation"]) == OLD  # shows as it was
        _downgrade(engine, "0004")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT explanation FROM dispatch_decision ORDER BY id"))
            assert [r for (r,) in back] == [OLD, ""]
            detail = _json(conn.execute(text("SELECT detail FROM dispatch_queue_item")).scalar())
        assert isinstance(detail, dict) and detail["explanation"] == OLD
        engine.dispose()


def _migration_0007() -> ModuleType:
    path = PACKAGE_DIR / "migrations" / "versions" / "0007_no_double_booking.py"
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _constraints(engine: Engine) -> dict[str, str]:
    """The service_order constraints 0007 adds, by name, with their definitions (PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'service_order'::regclass AND conname IN (:a, :b)"
            ),
            {"a": NO_DOUBLE_BOOKING, "b": "ck_service_order_planned_end"},
        ).all()
    return dict(rows)


def test_the_constraint_covers_exactly_the_statuses_that_hold_a_caregiver(engine: Engine) -> None:
    held = {str(s) for s in HOLDS_CAREGIVER}
    assert set(_migration_0007().HOLDS_CAREGIVER) == held
    if engine.dialect.name == "postgresql":  # and the one installed says the same
        definition = _constraints(engine)[NO_DOUBLE_BOOKING]
        assert set(re.findall(r"'(\w+)'::", definition)) == held
        assert "EXCLUDE USING gist" in definition and "DEFERRABLE" in definition


def _three_orders(engine: Engine) -> tuple[int, int, int]:
    """Two orders held by two caregivers at one hour, one not dispatched; committed."""
    with Session(engine) as s:
        d = make_district(s)
        one, two = make_caregiver(s, d.f_a1), make_caregiver(s, d.f_a2)
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        start, end = window(NOW, length_min=60)
        data = OrderCreate(
            elder_id=d.elder.id, item_code="bath_home", window_start=start, window_end=end
        )
        settings = Settings(secret_key="x")
        create = order_service.create_order
        made = [create(s, admin, data, now=NOW, settings=settings)[0].id for _ in range(3)]
        for order_id, staff in zip(made, (one, two), strict=False):
            dispatch_service.assign(
                s, admin, order_id, staff.id, now=NOW, reason="x", settings=settings
            )
        s.commit()
    return made[0], made[1], made[2]


def test_0007_backfills_planned_ends_and_a_downgrade_takes_them_away() -> None:
    with scratch_database(database_url()) as url:
        engine = make_engine(url)
        upgrade(engine)
        first, second, waiting = _three_orders(engine)
        _downgrade(engine, "0006")
        with engine.begin() as conn:  # a held order without a planned start (older code)
            conn.execute(
                text("UPDATE service_order SET planned_start_at = NULL WHERE id = :i"),
                {"i": second},
            )
        upgrade(engine)
        with Session(engine) as s:
            rows = {o.id: o for o in s.scalars(select(ServiceOrder))}
        hour = timedelta(minutes=60)
        assert rows[first].planned_start_at is not None
        assert rows[first].planned_end_at == rows[first].planned_start_at + hour
        assert rows[second].planned_start_at == rows[second].window_start_at  # as code assumed
        assert rows[second].planned_end_at == rows[second].window_start_at + hour
        assert (rows[waiting].planned_start_at, rows[waiting].planned_end_at) == (None, None)
        if engine.dialect.name == "postgresql":
            assert set(_constraints(engine)) == {NO_DOUBLE_BOOKING, "ck_service_order_planned_end"}
            with engine.begin() as conn, pytest.raises(IntegrityError, match="planned_end"):
                conn.execute(  # a start moved without its end is refused
                    text(
                        "UPDATE service_order SET planned_start_at = planned_start_at "
                        "+ interval '5 minutes' WHERE id = :i"
                    ),
                    {"i": first},
                )
        _downgrade(engine, "0006")
        columns = {c["name"] for c in inspect(engine).get_columns("service_order")}
        assert "planned_end_at" not in columns and "planned_start_at" in columns
        assert _constraints(engine) == {}
        engine.dispose()


@pytest.mark.postgres_only
def test_0007_stops_on_visits_that_overlap_already_and_names_them() -> None:
    if not database_url().startswith("postgresql"):
        pytest.skip("the constraint, and so the check before it, is PostgreSQL's")
    with scratch_database(database_url()) as url:
        scratch = make_engine(url)
        upgrade(scratch)
        first, second, _ = _three_orders(scratch)
        _downgrade(scratch, "0006")
        with scratch.begin() as conn:  # what the old code let through
            conn.execute(
                text(
                    "UPDATE service_order SET staff_id = "
                    "(SELECT staff_id FROM service_order WHERE id = :a) WHERE id = :b"
                ),
                {"a": first, "b": second},
            )
        with pytest.raises(RuntimeError, match=f"orders {first} and {second} \\(staff"):
            upgrade(scratch)
        with scratch.connect() as conn:  # nothing of 0007 was kept
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) == "0006"
        assert "planned_end_at" not in {
            c["name"] for c in inspect(scratch).get_columns("service_order")
        }
        scratch.dispose()

"""Migration 0005: old English explanations become lines that show as they were, and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import database_url, scratch_database
from tests.orders.builders import make_district, window
from yiyang.config import Settings
from yiyang.db import make_engine
from yiyang.dispatch.wording import explanation
from yiyang.events.models import DomainEventRow, OutboxMessage
from yiyang.migrate import alembic_config, upgrade
from yiyang.orders import service as order_service
from yiyang.orders.schemas import OrderCreate
from yiyang.ports.models import WebhookSubscription
from yiyang.security.roles import Role

OLD = "王芳 chosen: 7 min away, 0% of the day booked. Found in the elder's own community."
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_old_text_becomes_one_line_and_a_downgrade_brings_text_back() -> None:
    with scratch_database(database_url()) as url:
        engine = make_engine(url)
        upgrade(engine, "0004")
        # Today's order services also write events and outbox messages (not there at 0004).
        for model in (DomainEventRow, OutboxMessage, WebhookSubscription):
            model.__table__.create(engine)  # type: ignore[attr-defined]
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
            values = {"o": order.id, "at": NOW.replace(tzinfo=None), "old": OLD}
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
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT explanation FROM dispatch_decision ORDER BY id"))
            assert [r for (r,) in back] == [OLD, ""]
            detail = _json(conn.execute(text("SELECT detail FROM dispatch_queue_item")).scalar())
        assert isinstance(detail, dict) and detail["explanation"] == OLD
        engine.dispose()

"""Event context: who caused it (a person or a platform process), payload and envelope shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.events.helpers import event
from yiyang.events.types import EVENT_TYPES, Actor, event_type, payload_model
from yiyang.orders.events import BY_TIMELINE, CaregiverAssigned, OrderEvent
from yiyang.orders.rules import Event
from yiyang.security.roles import Role
from yiyang.security.subject import Subject, system_subject

AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_the_actor_is_the_person_or_the_platform_process() -> None:
    person = Subject(user_id=7, username="op1", display_name="张静", role=Role.OPERATOR)
    assert Actor.of(person) == Actor(kind="user", user_id=7, name="张静", role="operator")
    assert Actor.of(system_subject("dispatch")) == Actor(kind="system", name="dispatch")
    assert Actor.of(None) == Actor(kind="system", name="platform")


def test_payload_leaves_the_context_out_and_the_envelope_puts_it_first() -> None:
    e = event(CaregiverAssigned, 5, AT)
    assert set(e.payload()) == {"order", "reason"}
    body = e.envelope()
    assert list(body) == ["id", "type", "occurred_at", "actor", "cause_id", "data"]
    assert body["occurred_at"] == "2026-11-23T01:00:00Z" and body["id"] == str(e.id)
    assert body["data"]["order"]["window_start_at"] == "2026-11-23T01:00:00Z"


def test_every_order_event_has_a_typed_event() -> None:
    assert set(BY_TIMELINE) == {str(e) for e in Event} | {"create"}
    assert all(EVENT_TYPES[cls.TYPE] is cls for cls in BY_TIMELINE.values())


def test_a_type_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="twice"):

        @event_type("order.caregiver_assigned", "order")
        class Again(OrderEvent):
            """Another class under a taken name."""


def test_the_payload_model_describes_the_data_of_a_webhook() -> None:
    model = payload_model(CaregiverAssigned)
    assert set(model.model_fields) == {"order", "reason"}

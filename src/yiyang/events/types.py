"""The event base: what happened, when, who or what caused it, and the registry of types.

Modelled on Home Assistant's Context (id, user_id, parent_id): every event carries its own
id, the actor that started the change and the id of the event that led to it, so a chain
(offer timed out → offered to the next provider) can be followed back to a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, create_model

from yiyang.security.subject import Subject

PLATFORM = "platform"


class Actor(BaseModel):
    """A person (user id, name, role) or the platform process that caused the change."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["user", "system"]
    user_id: int | None = None
    name: str
    role: str | None = None

    @classmethod
    def of(cls, subject: Subject | None) -> Actor:
        """The actor of a Subject; None (or a system subject such as "dispatch") is the platform."""
        if subject is None:
            return cls(kind="system", name=PLATFORM)
        if subject.user_id is None:
            return cls(kind="system", name=subject.username)
        return cls(
            kind="user", user_id=subject.user_id, name=subject.display_name, role=str(subject.role)
        )


class DomainEvent(BaseModel):
    """Base of every typed event; subclasses add the payload fields and register a type name."""

    model_config = ConfigDict(frozen=True)

    TYPE: ClassVar[str] = ""
    ENTITY: ClassVar[str] = ""
    META: ClassVar[frozenset[str]] = frozenset({"id", "occurred_at", "actor", "cause_id"})

    id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime
    actor: Actor
    cause_id: UUID | None = None

    def entity_id(self) -> int | None:
        """The id of the record the event is about (for the event table's index)."""
        return None

    def payload(self) -> dict[str, Any]:
        """The type's own fields, JSON-ready (what the event table and webhooks carry)."""
        return self.model_dump(mode="json", exclude=set(self.META))

    def envelope(self) -> dict[str, Any]:
        """The event as outside subscribers receive it: context first, payload under `data`."""
        meta = self.model_dump(mode="json", include=set(self.META))
        return {
            "id": meta["id"],
            "type": self.TYPE,
            "occurred_at": meta["occurred_at"],
            "actor": meta["actor"],
            "cause_id": meta["cause_id"],
            "data": self.payload(),
        }


EVENT_TYPES: dict[str, type[DomainEvent]] = {}
E = TypeVar("E", bound=type[DomainEvent])


def event_type(name: str, entity: str) -> Any:
    """Register an event class under its type name (`order.created`); a name is used once."""

    def register(cls: E) -> E:
        if name in EVENT_TYPES and EVENT_TYPES[name] is not cls:
            raise ValueError(f"event type {name!r} is registered twice")
        cls.TYPE, cls.ENTITY = name, entity
        EVENT_TYPES[name] = cls
        return cls

    return register


def payload_model(cls: type[DomainEvent]) -> type[BaseModel]:
    """A model of a type's payload alone (the `data` of a webhook, for the OpenAPI document)."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in cls.model_fields.items()
        if name not in DomainEvent.META
    }
    return create_model(f"{cls.__name__}Data", __doc__=cls.__doc__, **fields)

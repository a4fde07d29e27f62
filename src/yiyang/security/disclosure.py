"""Who sees a person's identifying details in full: one table from field kind to permission.

A schema declares the kind of each such field, `Annotated[str, Sensitive(Kind.ELDER_PHONE)]`,
and is built with `disclosed(Model, viewer, values)`: the viewer (the subject, and how they
relate to this record) is the validation context, and every sensitive field, nested ones
too, is masked for it. Building such a schema without a viewer raises, so a new schema or
a new call cannot forget to mask. docs/privacy.md explains who needs what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from yiyang.kit.masking import mask_id_number, mask_phone
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


class Kind(StrEnum):
    """What a sensitive field holds."""

    ELDER_ID_NUMBER = "elder.id_number"
    ELDER_BIRTH_DATE = "elder.birth_date"
    ELDER_PHONE = "elder.phone"
    CONTACT_PHONE = "contact.phone"  # an elder's emergency contact
    STAFF_ID_NUMBER = "staff.id_number"
    STAFF_PHONE = "staff.phone"
    ORDER_CAREGIVER = "order.caregiver"  # whom an order is offered or assigned to, and where from
    DISPATCH_DECISIONS = "dispatch.decisions"  # an order's dispatch decisions
    DISPATCHED_STAFF = "dispatch.staff"  # a provider's person weighed, offered or refusing
    ELDER_HEALTH = "elder.health"  # mobility, health conditions, why the elder is away


class Relation(StrEnum):
    """How the reader relates to the record, when that and not the role lets them see."""

    SELF = "self"  # the record is the reader's own (their staff record, their elder)
    SERVING = "serving"  # the reader serves this elder now (docs/privacy.md says when)
    COMING = "coming"  # a caregiver has accepted the order
    SAME_PROVIDER = "same_provider"  # the person named works for the reader's provider
    AT_THE_DOOR = "at_the_door"  # the caregiver serving the elder today (may need the key)
    CARING = "caring"  # the caregiver assigned to one of the elder's visits


@dataclass(frozen=True)
class Rule:
    """A kind is shown in full to holders of the permission, or in one of the relations."""

    permission: Perm
    relations: frozenset[Relation] = frozenset()


RULES: dict[Kind, Rule] = {
    Kind.ELDER_ID_NUMBER: Rule(Perm.ELDER_IDENTITY),
    Kind.ELDER_BIRTH_DATE: Rule(Perm.ELDER_IDENTITY),
    Kind.ELDER_PHONE: Rule(Perm.ELDER_PHONE, frozenset({Relation.SELF, Relation.SERVING})),
    Kind.CONTACT_PHONE: Rule(Perm.ELDER_PHONE, frozenset({Relation.AT_THE_DOOR})),
    Kind.STAFF_ID_NUMBER: Rule(Perm.STAFF_IDENTITY, frozenset({Relation.SELF})),
    Kind.STAFF_PHONE: Rule(Perm.STAFF_PHONE, frozenset({Relation.SELF})),
    Kind.ORDER_CAREGIVER: Rule(Perm.ORDER_STAFF, frozenset({Relation.COMING})),
    Kind.DISPATCH_DECISIONS: Rule(Perm.DISPATCH_READ),
    Kind.DISPATCHED_STAFF: Rule(Perm.DISPATCH_DETAIL, frozenset({Relation.SAME_PROVIDER})),
    Kind.ELDER_HEALTH: Rule(Perm.ELDER_HEALTH, frozenset({Relation.SELF, Relation.CARING})),
}


def _hidden(_value: Any) -> None:
    return None


def _empty(_value: Any) -> list[Any]:
    return []


# What a reader who may not see a kind gets instead: a partial mask, nothing, or no rows.
MASKS: dict[Kind, Callable[[Any], Any]] = {
    Kind.ELDER_ID_NUMBER: mask_id_number,
    Kind.ELDER_BIRTH_DATE: _hidden,
    Kind.ELDER_PHONE: mask_phone,
    Kind.CONTACT_PHONE: mask_phone,
    Kind.STAFF_ID_NUMBER: mask_id_number,
    Kind.STAFF_PHONE: mask_phone,
    Kind.ORDER_CAREGIVER: _hidden,
    Kind.DISPATCH_DECISIONS: _empty,
    Kind.DISPATCHED_STAFF: _hidden,
    Kind.ELDER_HEALTH: _hidden,
}


@dataclass(frozen=True)
class Viewer:
    """Who reads a record and how they relate to it: all that masking is decided from."""

    subject: Subject
    relations: frozenset[Relation] = frozenset()

    def also(self, *relations: Relation) -> Viewer:
        """The same reader with more relations to the record at hand."""
        return Viewer(self.subject, self.relations | frozenset(relations))


def may_see(viewer: Viewer, kind: Kind) -> bool:
    """Whether this reader sees fields of this kind in full."""
    rule = RULES[kind]
    return viewer.subject.can(rule.permission) or bool(rule.relations & viewer.relations)


def mask(kind: Kind, value: Any, viewer: Viewer) -> Any:
    """The value as this reader may see it: itself, a partial mask, None or no rows."""
    if value is None or may_see(viewer, kind):
        return value
    return MASKS[kind](value)


VIEWER = "viewer"  # the validation-context key that carries the Viewer


class MissingViewer(TypeError):
    """A shape with sensitive fields was built without saying who will read it."""


@dataclass(frozen=True)
class Sensitive:
    """Marks a schema field as holding a kind of personal detail, masked for each reader."""

    kind: Kind

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        kind = self.kind

        def for_viewer(value: Any, info: ValidationInfo) -> Any:
            context = info.context
            viewer = context.get(VIEWER) if isinstance(context, dict) else None
            if not isinstance(viewer, Viewer):
                raise MissingViewer(f"{kind} field built without a viewer: use disclosed()")
            return mask(kind, value, viewer)

        return core_schema.with_info_after_validator_function(for_viewer, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["x-masked-unless"] = str(RULES[self.kind].permission)
        return json_schema


M = TypeVar("M", bound=BaseModel)


def disclosed(model: type[M], viewer: Viewer, values: Any) -> M:
    """The shape built for this reader: each sensitive field in it, nested too, masked."""
    return model.model_validate(values, context={VIEWER: viewer})

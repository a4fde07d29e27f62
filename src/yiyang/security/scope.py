"""Data scope as one value: which part of the district, which provider or which person.

Every repository's `readable(subject)` and every write check asks the same object, so the
rules "district-wide roles see all, a street admin its street, community staff their
community, a provider its own, a caregiver itself, an elder or family that elder" are written
once. An entity says how it relates to each kind of binding (a column, or a function from the
bound id to a condition); a binding the entity does not relate to sees nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, true

# How an entity relates to one kind of binding: a column compared with the bound id, a
# function building the condition from the bound id, or True (every row, whatever the id).
Relation = Any | Callable[[int], ColumnElement[bool]] | bool


class Binding(StrEnum):
    """What a subject's data scope is tied to."""

    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    PROVIDER = "provider"
    STAFF = "staff"
    ELDER = "elder"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Scope:
    """One binding and its id (none for the whole district or for nobody)."""

    binding: Binding
    bound_id: int | None = None

    @property
    def district_wide(self) -> bool:
        """True when the scope is the whole district."""
        return self.binding is Binding.DISTRICT

    def where(
        self,
        *,
        street: Relation | None = None,
        community: Relation | None = None,
        provider: Relation | None = None,
        staff: Relation | None = None,
        elder: Relation | None = None,
    ) -> ColumnElement[bool]:
        """The SQL condition of rows inside the scope, from how the entity relates to each."""
        if self.binding is Binding.DISTRICT:
            return true()
        relation = {
            Binding.STREET: street,
            Binding.COMMUNITY: community,
            Binding.PROVIDER: provider,
            Binding.STAFF: staff,
            Binding.ELDER: elder,
        }.get(self.binding)
        if relation is None or relation is False or self.bound_id is None:
            return false()
        if relation is True:
            return true()
        if callable(relation) and not hasattr(relation, "__clause_element__"):
            condition: ColumnElement[bool] = relation(self.bound_id)
            return condition
        compared: ColumnElement[bool] = relation == self.bound_id
        return compared

    def covers(
        self,
        *,
        street_id: int | None = None,
        community_id: int | None = None,
        provider_id: int | None = None,
        staff_id: int | None = None,
        elder_id: int | None = None,
    ) -> bool:
        """Whether a record with these bindings is inside the scope (write checks)."""
        if self.binding is Binding.DISTRICT:
            return True
        value = {
            Binding.STREET: street_id,
            Binding.COMMUNITY: community_id,
            Binding.PROVIDER: provider_id,
            Binding.STAFF: staff_id,
            Binding.ELDER: elder_id,
        }.get(self.binding)
        return value is not None and value == self.bound_id

"""The Subject: who is asking, with their role, permissions and data-scope bindings."""

from __future__ import annotations

from dataclasses import dataclass

from yiyang.errors import Forbidden
from yiyang.security.refusals import refusal
from yiyang.security.roles import DISTRICT_WIDE, ROLE_PERMISSIONS, Perm, Role
from yiyang.security.scope import Binding, Scope


@dataclass(frozen=True)
class Subject:
    """An authenticated caller; repositories read the scope fields, services the permissions."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    street_id: int | None = None
    community_id: int | None = None
    provider_id: int | None = None
    staff_id: int | None = None
    elder_id: int | None = None
    ip: str | None = None

    @property
    def permissions(self) -> frozenset[Perm]:
        """Permissions granted by the role."""
        return ROLE_PERMISSIONS[self.role]

    @property
    def district_wide(self) -> bool:
        """True when the caller's data scope is the whole district."""
        return self.role in DISTRICT_WIDE

    @property
    def scope(self) -> Scope:
        """The data scope of the role and its binding (nobody's data without a binding)."""
        if self.district_wide:
            return Scope(Binding.DISTRICT)
        binding, bound = {
            Role.STREET_ADMIN: (Binding.STREET, self.street_id),
            Role.COMMUNITY_STAFF: (Binding.COMMUNITY, self.community_id),
            Role.PROVIDER_ADMIN: (Binding.PROVIDER, self.provider_id),
            Role.CAREGIVER: (Binding.STAFF, self.staff_id),
            Role.ELDER: (Binding.ELDER, self.elder_id),
            Role.FAMILY: (Binding.ELDER, self.elder_id),
        }.get(self.role, (Binding.NONE, None))
        return Scope(binding, bound) if bound is not None else Scope(Binding.NONE)

    def can(self, perm: Perm) -> bool:
        """Whether the role grants this permission."""
        return perm in self.permissions

    def require(self, perm: Perm) -> None:
        """Refuse with 403 when the role may never perform this action."""
        if perm not in self.permissions:
            raise Forbidden(refusal(perm), perm=str(perm))


def system_subject(reason: str = "system") -> Subject:
    """The subject used by CLI commands, seeding and the worker: district-wide, audited."""
    return Subject(user_id=None, username=reason, display_name=reason, role=Role.DISTRICT_ADMIN)

"""Plain records of a generated demo district, one class per registry table (ids assigned)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from yiyang.demo.catalog import Catalog


@dataclass(slots=True)
class AreaRec:
    """A district, street or community; lat/lon is its anchor (not stored in the table)."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    lat: float | None = None
    lon: float | None = None


@dataclass(slots=True)
class ProviderRec:
    """A service organisation."""

    id: int
    code: str
    name: str
    credit_code: str
    contact_name: str
    phone: str
    address: str


@dataclass(slots=True)
class FacilityRec:
    """A platform, centre, institution or meal point."""

    id: int
    code: str
    name: str
    kind: str
    street_id: int
    community_id: int | None
    provider_id: int
    address: str
    lat: float
    lon: float
    phone: str
    beds_long_stay: int
    day_places: int
    meals_per_day: int
    opening_hours: dict[str, list[str]]


@dataclass(slots=True)
class StaffRec:
    """A caregiver, nurse, manager… with a home facility and a weekly working pattern."""

    id: int
    code: str
    name: str
    sex: str
    phone: str
    id_number: str
    provider_id: int
    facility_id: int
    roles: list[str]
    travel_mode: str
    working_pattern: dict[str, list[str]]
    status: str
    hired_date: date


@dataclass(slots=True)
class StaffSkillRec:
    """A skill of a staff member at a level 1–5."""

    id: int
    staff_id: int
    skill: str
    level: int


@dataclass(slots=True)
class StaffCertificateRec:
    """A certificate of a staff member."""

    id: int
    staff_id: int
    kind: str
    number: str
    issued_date: date
    expires_date: date | None


@dataclass(slots=True)
class ElderRec:
    """A registered elder."""

    id: int
    id_number: str
    name: str
    sex: str
    birth_date: date
    phone: str | None
    household_registration: str
    address: str
    street_id: int
    community_id: int
    lat: float
    lon: float
    geofence_m: int
    living_situation: str
    economic_status: str
    capability_level: int | None
    consent_given: bool
    consent_date: date | None
    status: str
    status_date: date | None
    notes: str | None = None
    mobility: str | None = None  # vocab.Mobility
    conditions: str | None = None


@dataclass(slots=True)
class ElderGroupRec:
    """Membership of an elder in a special-difficulty group."""

    id: int
    elder_id: int
    code: str


@dataclass(slots=True)
class ElderContactRec:
    """An emergency contact of an elder."""

    id: int
    elder_id: int
    priority: int
    name: str
    relationship: str
    phone: str
    has_key: bool


@dataclass
class DemoDistrict:
    """Everything `generate_district` produces; ids are 1-based per table."""

    seed: int
    as_of: date
    areas: list[AreaRec]
    providers: list[ProviderRec]
    facilities: list[FacilityRec]
    staff: list[StaffRec]
    staff_skills: list[StaffSkillRec]
    staff_certificates: list[StaffCertificateRec]
    elders: list[ElderRec]
    elder_groups: list[ElderGroupRec]
    elder_contacts: list[ElderContactRec]
    catalog: Catalog

    def by_level(self, level: str) -> list[AreaRec]:
        """Areas of one level (district, street, community) in id order."""
        return [a for a in self.areas if a.level == level]

    def area_by_name(self, name: str) -> AreaRec:
        """The area with this exact name (raises KeyError)."""
        for area in self.areas:
            if area.name == name:
                return area
        raise KeyError(name)

    def skills_by_staff(self) -> dict[int, dict[str, int]]:
        """staff id → {skill: level}, for dispatch benchmarks."""
        out: dict[int, dict[str, int]] = defaultdict(dict)
        for s in self.staff_skills:
            out[s.staff_id][s.skill] = s.level
        return dict(out)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {
            "area": len(self.areas),
            "provider": len(self.providers),
            "facility": len(self.facilities),
            "staff": len(self.staff),
            "staff_skill": len(self.staff_skills),
            "staff_certificate": len(self.staff_certificates),
            "elder": len(self.elders),
            "elder_group": len(self.elder_groups),
            "elder_contact": len(self.elder_contacts),
        }

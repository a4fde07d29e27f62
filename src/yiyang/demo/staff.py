"""Synthetic staff: ~500 front-line workers and 100 managers with skills, certificates, shifts."""

from __future__ import annotations

import random
from datetime import date, timedelta

from yiyang.demo import names
from yiyang.demo.elders import born_at_age, mobile, pick_surname, unique_id_number
from yiyang.demo.records import FacilityRec, StaffCertificateRec, StaffRec, StaffSkillRec
from yiyang.registry.vocab import FacilityKind, Skill, StaffStatus, TravelMode
from yiyang.registry.vocab import StaffRole as R

FRONT_LINE = 500
MANAGERS = 100
PLATFORM_MANAGERS = 5

# Role → (skills always held, skills sometimes held).
ROLE_SKILLS: dict[str, tuple[tuple[Skill, ...], tuple[Skill, ...]]] = {
    R.CAREGIVER: (
        (Skill.PERSONAL_CARE, Skill.CLEANING),
        (Skill.MEALS, Skill.MOBILITY, Skill.VISITING, Skill.ERRANDS, Skill.MEDICAL_ESCORT,
         Skill.FIRST_AID),
    ),
    R.NURSE: (
        (Skill.NURSING, Skill.HEALTH_CHECK),
        (Skill.REHAB, Skill.FIRST_AID, Skill.PERSONAL_CARE, Skill.MEDICAL_ESCORT),
    ),
    R.BATH_AIDE: (
        (Skill.BATHING, Skill.PERSONAL_CARE),
        (Skill.MOBILITY, Skill.FIRST_AID, Skill.CLEANING),
    ),
    R.DRIVER: ((Skill.DRIVING, Skill.MEDICAL_ESCORT), (Skill.MOBILITY, Skill.ERRANDS)),
    R.SOCIAL_WORKER: ((Skill.COUNSELLING, Skill.VISITING), (Skill.ERRANDS, Skill.HOME_ADAPTATION)),
    R.DIETITIAN: ((Skill.MEALS, Skill.HEALTH_CHECK), ()),
    R.CARE_BUTLER: (
        (Skill.VISITING, Skill.ERRANDS),
        (Skill.COUNSELLING, Skill.HEALTH_CHECK, Skill.FIRST_AID, Skill.CLEANING,
         Skill.HOME_ADAPTATION),
    ),
    R.COOK: ((Skill.MEALS,), ()),
    R.MANAGER: ((), (Skill.VISITING, Skill.FIRST_AID, Skill.COUNSELLING)),
}  # fmt: skip
_FEMALE_SHARE: dict[str, float] = {
    R.DRIVER: 0.05,
    R.MANAGER: 0.55,
    R.COOK: 0.5,
    R.SOCIAL_WORKER: 0.7,
}
_NURSE_LEVELS = ("五级/初级工", "四级/中级工", "三级/高级工", "二级/技师")
_STREET_CENTRE_ROLES = (R.CAREGIVER, R.CAREGIVER, R.CAREGIVER, R.BATH_AIDE, R.BATH_AIDE,
                        R.NURSE, R.DRIVER, R.SOCIAL_WORKER)  # fmt: skip
_INSTITUTION_ROLES = (R.NURSE, R.NURSE, R.CAREGIVER, R.CAREGIVER, R.CAREGIVER, R.CAREGIVER,
                      R.CAREGIVER, R.COOK)  # fmt: skip
_DAY_CARE_EXTRA = (R.CAREGIVER, R.CAREGIVER, R.BATH_AIDE, R.NURSE, R.DIETITIAN,
                   R.SOCIAL_WORKER, R.CARE_BUTLER)  # fmt: skip


def _assignments(
    rng: random.Random, facilities: list[FacilityRec]
) -> list[tuple[FacilityRec, str]]:
    """Who works where: fixed teams in centres and institutions, the rest in day-care centres."""
    kind = {k: [f for f in facilities if f.kind == k.value] for k in FacilityKind}
    front: list[tuple[FacilityRec, str]] = []
    for f in kind[FacilityKind.STREET_CENTRE]:
        front += [(f, r) for r in _STREET_CENTRE_ROLES]
    for f in kind[FacilityKind.INSTITUTION]:
        front += [(f, r) for r in _INSTITUTION_ROLES]
    day_care = kind[FacilityKind.DAY_CARE_CENTRE]
    for f in day_care:
        front.append((f, R.CARE_BUTLER if rng.random() < 0.5 else R.CAREGIVER))
    while len(front) < FRONT_LINE:
        front.append((rng.choice(day_care), rng.choice(_DAY_CARE_EXTRA)))
    front = front[:FRONT_LINE]
    heads = (
        kind[FacilityKind.DISTRICT_PLATFORM] * PLATFORM_MANAGERS
        + kind[FacilityKind.STREET_CENTRE]
        + kind[FacilityKind.INSTITUTION]
    )
    heads += rng.sample(day_care, MANAGERS - len(heads))
    return front + [(f, R.MANAGER) for f in heads]


def _pattern(rng: random.Random, facility: FacilityRec, role: str) -> dict[str, list[str]]:
    """A weekly working pattern: weekday → [start, end]."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    if facility.kind == FacilityKind.INSTITUTION and role != R.MANAGER:
        shift = rng.choice((("07:00", "15:00"), ("14:00", "22:00"), ("08:00", "17:00")))
        off = rng.sample(range(7), 2)
        return {d: list(shift) for i, d in enumerate(days) if i not in off}
    if role == R.MANAGER:
        return {d: ["08:30", "17:30"] for d in days[:5]}
    start = rng.choice(("07:30", "08:00", "08:30", "09:00"))
    end = {"07:30": "16:30", "08:00": "17:00", "08:30": "17:30", "09:00": "18:00"}[start]
    workdays = rng.choice((days[:5], days[1:6], days[:4] + days[5:6], days[2:7]))
    return {d: [start, end] for d in workdays}


def _certificates(
    rng: random.Random, role: str, hired: date, as_of: date
) -> list[tuple[str, str, date, date | None]]:
    """(kind, number, issued, expires) for a role."""
    issued = hired + timedelta(days=rng.randrange(0, max(1, (as_of - hired).days)))
    number = f"{rng.randrange(10**11, 10**12)}"
    out: list[tuple[str, str, date, date | None]] = []
    if role in (R.CAREGIVER, R.BATH_AIDE, R.CARE_BUTLER):
        out.append((f"养老护理员（{rng.choice(_NURSE_LEVELS)}）", "YL" + number, issued, None))
    if role == R.BATH_AIDE:
        out.append(
            ("助浴服务培训合格证", "ZY" + number[:8], issued, issued + timedelta(days=3 * 365))
        )
    if role == R.NURSE:
        out.append(("护士执业证书", number, issued, issued + timedelta(days=5 * 365)))
    if role == R.DRIVER:
        out.append(
            ("机动车驾驶证（C1）", "410105" + number, issued, issued + timedelta(days=6 * 365))
        )
    if role == R.SOCIAL_WORKER:
        out.append(("社会工作者职业资格（初级）", "SG" + number, issued, None))
    if role == R.DIETITIAN:
        out.append(("公共营养师（四级）", "GY" + number, issued, None))
    if role == R.MANAGER and rng.random() < 0.6:
        out.append(("养老机构院长培训合格证", "YZ" + number[:8], issued, None))
    if rng.random() < 0.3:
        out.append(("红十字救护员证", "JH" + number[:10], issued, issued + timedelta(days=3 * 365)))
    return out


def generate_staff(
    rng: random.Random, facilities: list[FacilityRec], as_of: date
) -> tuple[list[StaffRec], list[StaffSkillRec], list[StaffCertificateRec]]:
    """Front-line staff and managers at the facilities, each employed by the facility's operator."""
    staff: list[StaffRec] = []
    skills: list[StaffSkillRec] = []
    certificates: list[StaffCertificateRec] = []
    used: set[str] = set()
    for facility, role in _assignments(rng, facilities):
        sid = len(staff) + 1
        sex = "F" if rng.random() < _FEMALE_SHARE.get(role, 0.85) else "M"
        born = born_at_age(rng, rng.randint(24, 58), as_of)
        area = "410105" if rng.random() < 0.4 else rng.choice(names.OTHER_HENAN)[0]
        given = rng.choice(names.YOUNG_GIVEN_F if sex == "F" else names.YOUNG_GIVEN_M)
        hired = as_of - timedelta(days=rng.randrange(60, 10 * 365))
        if role == R.DRIVER:
            mode = TravelMode.CAR
        else:
            mode = rng.choices(list(TravelMode), weights=(12, 10, 68, 10))[0]
        r = rng.random()
        status = StaffStatus.ON_LEAVE if r < 0.03 else StaffStatus.ACTIVE
        staff.append(
            StaffRec(
                id=sid,
                code=f"JS-S{sid:04d}",
                name=pick_surname(rng) + given,
                sex=sex,
                phone=mobile(rng),
                id_number=unique_id_number(rng, area, born, sex, used),
                provider_id=facility.provider_id,
                facility_id=facility.id,
                roles=[str(role)],
                travel_mode=str(mode),
                working_pattern=_pattern(rng, facility, role),
                status=str(status),
                hired_date=hired,
            )
        )
        always, sometimes = ROLE_SKILLS[role]
        held = list(always) + [s for s in sometimes if rng.random() < 0.4]
        for skill in sorted(set(held)):
            level = rng.choices((1, 2, 3, 4, 5), weights=(10, 25, 35, 20, 10))[0]
            if skill in always:
                level = max(2, level)
            skills.append(StaffSkillRec(len(skills) + 1, sid, str(skill), level))
        for kind, number, issued, expires in _certificates(rng, role, hired, as_of):
            certificates.append(
                StaffCertificateRec(len(certificates) + 1, sid, kind, number, issued, expires)
            )
    return staff, skills, certificates

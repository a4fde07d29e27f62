"""Synthetic elders with believable age, sex, living, group, economic and capability mixes."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from shapely.geometry.base import BaseGeometry

from yiyang.demo import names
from yiyang.demo.geography import sample_near
from yiyang.demo.records import AreaRec, ElderContactRec, ElderGroupRec, ElderRec
from yiyang.kit.idcard import make_id_number
from yiyang.registry.vocab import EconomicStatus as Eco
from yiyang.registry.vocab import ElderStatus, Mobility
from yiyang.registry.vocab import LivingSituation as Living
from yiyang.registry.vocab import SpecialGroup as Group

_SURNAMES = [s for s, _ in names.SURNAMES]
_SURNAME_CUM = list(itertools.accumulate(w for _, w in names.SURNAMES))

# Age bands of the 60+ population (shares roughly after China's 2020 census, urban Henan).
AGE_BANDS: tuple[tuple[int, int, float, float], ...] = (
    # (from age, to age inclusive, share, share of women)
    (60, 64, 0.27, 0.50),
    (65, 69, 0.24, 0.51),
    (70, 74, 0.18, 0.52),
    (75, 79, 0.12, 0.54),
    (80, 84, 0.095, 0.57),
    (85, 89, 0.06, 0.61),
    (90, 94, 0.025, 0.66),
    (95, 99, 0.008, 0.72),
    (100, 105, 0.002, 0.78),
)
_BAND_CUM = list(itertools.accumulate(b[2] for b in AGE_BANDS))

_LIVING = (
    Living.ALONE,
    Living.EMPTY_NEST,
    Living.WITH_SPOUSE,
    Living.WITH_CHILDREN,
    Living.WITH_RELATIVES,
    Living.IN_INSTITUTION,
)
# Cumulative weights by age decade index (60s, 70s, 80s, 90+).
_LIVING_CUM = [
    list(itertools.accumulate(w))
    for w in (
        (7, 33, 15, 40, 4, 1),
        (11, 32, 12, 38, 5, 2),
        (18, 22, 6, 44, 6, 4),
        (22, 10, 3, 52, 7, 6),
    )
]
_CAPABILITY_CUM = [
    list(itertools.accumulate(w))
    for w in (
        (82, 11, 4, 2, 1),
        (65, 20, 8, 4, 3),
        (40, 28, 15, 10, 7),
        (20, 28, 20, 17, 15),
    )
]
_ECONOMIC = (Eco.NONE, Eco.LOW_INCOME, Eco.NEAR_MINIMUM, Eco.MINIMUM_LIVING, Eco.EXTREME_POVERTY)
_ECONOMIC_CUM = list(itertools.accumulate((928, 30, 15, 21, 6)))
_CONTACTS_CUM = list(itertools.accumulate((4, 34, 42, 20)))
_GEOFENCE = (150, 100, 200, 300)
_GEOFENCE_CUM = list(itertools.accumulate((85, 5, 7, 3)))


# How an elder moves about, by capability level (None: never assessed): cumulative weights
# over independent, walking aid, wheelchair, bedridden. Severe loss means a wheelchair or bed.
_MOBILITY = (Mobility.INDEPENDENT, Mobility.WALKING_AID, Mobility.WHEELCHAIR, Mobility.BEDRIDDEN)
_MOBILITY_CUM: dict[int | None, list[int]] = {
    level: list(itertools.accumulate(w))
    for level, w in {
        None: (92, 8, 0, 0),
        0: (95, 5, 0, 0),
        1: (65, 33, 2, 0),
        2: (12, 58, 28, 2),
        3: (0, 10, 58, 32),
        4: (0, 0, 35, 65),
    }.items()
}
# Conditions people are registered with (weights), and those that come with lying in bed.
_CONDITIONS = (
    ("高血压", 30), ("糖尿病", 16), ("冠心病", 10), ("骨质疏松", 9), ("膝关节炎", 9),
    ("听力差", 8), ("白内障，视力差", 6), ("慢阻肺", 5), ("脑梗后遗症，左侧肢体无力", 5),
    ("髋关节置换", 3), ("帕金森病", 2), ("阿尔茨海默病早期", 3), ("慢性肾病", 2), ("心衰", 2),
    ("青霉素过敏", 3), ("装有心脏起搏器", 1),
)  # fmt: skip
_CONDITION_NAMES = [c for c, _ in _CONDITIONS]
_CONDITION_CUM = list(itertools.accumulate(w for _, w in _CONDITIONS))
_BEDRIDDEN_CONDITIONS = ("压疮风险，需定时翻身", "留置导尿管", "吞咽困难，进食需看护")
_CONDITION_SHARE = (0.35, 0.5, 0.62, 0.72)  # elders with conditions recorded, by age decade


def _mobility(rng: random.Random, capability: int | None) -> str | None:
    """How the elder moves, consistent with the capability level (often unrecorded if never
    assessed)."""
    if capability is None and rng.random() < 0.6:
        return None
    return str(rng.choices(_MOBILITY, cum_weights=_MOBILITY_CUM[capability])[0])


def _conditions(rng: random.Random, decade: int, mobility: str | None, as_of: date) -> str | None:
    """A plausible line of health conditions for a share of elders, more with age."""
    if rng.random() >= _CONDITION_SHARE[decade] and mobility != Mobility.BEDRIDDEN:
        return None
    picked = list(dict.fromkeys(rng.choices(_CONDITION_NAMES, cum_weights=_CONDITION_CUM, k=3)))
    picked = picked[: rng.choice((1, 1, 2, 2, 3))]
    picked = [
        f"{c} {as_of.year - rng.randint(1, 12)}年" if c == "髋关节置换" else c for c in picked
    ]
    if mobility == Mobility.BEDRIDDEN:
        picked.append(rng.choice(_BEDRIDDEN_CONDITIONS))
    return "；".join(picked)


def pick_surname(rng: random.Random) -> str:
    """A surname drawn by frequency."""
    return rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM)[0]


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(names.PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def born_at_age(rng: random.Random, age: int, as_of: date) -> date:
    """A birth date giving exactly `age` completed years on `as_of`."""
    latest = as_of.replace(year=as_of.year - age)
    if latest.month == 2 and latest.day == 29:  # pragma: no cover - as_of is fixed
        latest = latest.replace(day=28)
    earliest = latest.replace(year=latest.year - 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def unique_id_number(rng: random.Random, area: str, born: date, sex: str, used: set[str]) -> str:
    """A valid ID number not in `used` (which it joins)."""
    while True:
        number = make_id_number(area, born, rng.randrange(1000), sex)
        if number not in used:
            used.add(number)
            return number


@dataclass(frozen=True)
class CommunityPlan:
    """Where a community is and how its elders are spread and addressed."""

    community: AreaRec
    street_id: int
    street_area: BaseGeometry
    sigma_m: float
    roads: tuple[str, ...]
    compounds: tuple[int, ...]
    weight: float


def allocate(rng: random.Random, plans: list[CommunityPlan], total: int) -> list[int]:
    """How many elders live in each community (a multinomial draw by weight)."""
    cum = list(itertools.accumulate(p.weight for p in plans))
    counts = Counter(rng.choices(range(len(plans)), cum_weights=cum, k=total))
    return [counts.get(i, 0) for i in range(len(plans))]


def _groups(rng: random.Random, living: str, capability: int | None, economic: str) -> list[str]:
    groups: list[str] = []
    r = rng.random()
    if living == Living.ALONE:
        if r < 0.05 or (economic == Eco.EXTREME_POVERTY and r < 0.5):
            groups.append(Group.NO_FAMILY)
        if rng.random() < 0.2:
            groups.append(Group.LIVING_ALONE)
    elif living == Living.EMPTY_NEST:
        if r < 0.07:
            groups.append(Group.EMPTY_NEST)
        elif r < 0.09:
            groups.append(Group.LEFT_BEHIND)
    if capability is not None and capability >= 3 and rng.random() < 0.3:
        groups.append(Group.DISABLED)
    r = rng.random()
    if r < 0.006:
        groups.append(Group.SEVERE_DISABILITY)
    elif r < 0.013:
        groups.append(Group.LOST_ONLY_CHILD)
    return groups[:2]


def _contacts(
    rng: random.Random, surname: str, sex: str, living: str, no_family: bool
) -> list[tuple[str, str, str, bool]]:
    """(name, relationship, phone, has_key) in priority order."""
    if no_family:
        n = rng.randrange(2)
        return [
            (pick_surname(rng) + rng.choice(names.YOUNG_GIVEN_F), "社区网格员", mobile(rng), False)
            for _ in range(n)
        ]
    n = rng.choices((0, 1, 2, 3), cum_weights=_CONTACTS_CUM)[0]
    out: list[tuple[str, str, str, bool]] = []
    for i in range(n):
        if i == 0 and living in (Living.WITH_SPOUSE, Living.EMPTY_NEST) and rng.random() < 0.4:
            pool = names.ELDER_GIVEN_M if sex == "F" else names.ELDER_GIVEN_F
            out.append((pick_surname(rng) + rng.choice(pool), "配偶", mobile(rng), True))
            continue
        if rng.random() < 0.85:
            relation = rng.choice(names.CONTACT_RELATIONS_CHILD)
            key_p = 0.6 if relation in ("儿子", "女儿") else 0.35
        else:
            relation = rng.choice(names.CONTACT_RELATIONS_OTHER)
            key_p = 0.2
        male = relation in ("儿子", "女婿", "孙子", "侄子")
        given = rng.choice(names.YOUNG_GIVEN_M if male else names.YOUNG_GIVEN_F)
        family = surname if relation in ("儿子", "女儿", "孙子", "孙女") else pick_surname(rng)
        out.append((family + given, relation, mobile(rng), rng.random() < key_p))
    return out


def generate_elders(
    rng: random.Random,
    plans: list[CommunityPlan],
    total: int,
    as_of: date,
) -> tuple[list[ElderRec], list[ElderGroupRec], list[ElderContactRec]]:
    """`total` elders spread over the communities, with their groups and contacts."""
    elders: list[ElderRec] = []
    groups: list[ElderGroupRec] = []
    contacts: list[ElderContactRec] = []
    used: set[str] = set()
    other_cum = list(itertools.accumulate(w for _, _, w in names.OTHER_HENAN))
    elder_id = group_id = contact_id = 0
    rand, choice, choices = rng.random, rng.choice, rng.choices
    # Health draws come from their own stream, seeded from this one without consuming it,
    # so every other record stays what the seed always gave.
    health = random.Random(hash(rng.getstate()[1]))
    for plan, count in zip(plans, allocate(rng, plans, total), strict=True):
        if count == 0:
            continue
        c = plan.community
        points = sample_near(
            rng, plan.street_area, (c.lat or 0.0, c.lon or 0.0), plan.sigma_m, count
        )
        for lat, lon in points:
            elder_id += 1
            band = AGE_BANDS[choices(range(len(AGE_BANDS)), cum_weights=_BAND_CUM)[0]]
            age = rng.randint(band[0], band[1])
            decade = min(3, (age - 60) // 10)
            sex = "F" if rand() < band[3] else "M"
            born = born_at_age(rng, age, as_of)
            surname = pick_surname(rng)
            name = surname + choice(names.ELDER_GIVEN_F if sex == "F" else names.ELDER_GIVEN_M)
            if rand() < 0.8:
                area_code, registration = "410105", names.JINSHUI_REGISTRATION
            else:
                area_code, registration, _ = choices(names.OTHER_HENAN, cum_weights=other_cum)[0]
            id_number = unique_id_number(rng, area_code, born, sex, used)
            living = choices(_LIVING, cum_weights=_LIVING_CUM[decade])[0]
            capability: int | None = choices(range(5), cum_weights=_CAPABILITY_CUM[decade])[0]
            if capability is not None and capability <= 1 and rand() < 0.3:
                capability = None  # never assessed
            economic = choices(_ECONOMIC, cum_weights=_ECONOMIC_CUM)[0]
            codes = _groups(rng, living, capability, economic)
            r = rand()
            status, status_date = ElderStatus.ACTIVE.value, None
            if r < 0.013:
                status = ElderStatus.DECEASED.value
            elif r < 0.025:
                status = ElderStatus.MOVED.value
            if status != ElderStatus.ACTIVE:
                status_date = as_of - timedelta(days=rng.randrange(1, 365))
            consent = rand() < 0.94
            moves = _mobility(health, capability)
            road = choice(plan.roads)
            address = (
                f"郑州市金水区{road}{choice(plan.compounds)}号院{rng.randint(1, 18)}号楼"
                f"{rng.randint(1, 4)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
            )
            elders.append(
                ElderRec(
                    id=elder_id,
                    id_number=id_number,
                    name=name,
                    sex=sex,
                    birth_date=born,
                    phone=mobile(rng) if rand() < 0.9 else None,
                    household_registration=registration,
                    address=address,
                    street_id=plan.street_id,
                    community_id=c.id,
                    lat=lat,
                    lon=lon,
                    geofence_m=choices(_GEOFENCE, cum_weights=_GEOFENCE_CUM)[0],
                    living_situation=str(living),
                    economic_status=str(economic),
                    capability_level=capability,
                    consent_given=consent,
                    consent_date=as_of - timedelta(days=rng.randrange(30, 1000))
                    if consent
                    else None,
                    status=status,
                    status_date=status_date,
                    mobility=moves,
                    conditions=_conditions(health, decade, moves, as_of),
                )
            )
            for code in codes:
                group_id += 1
                groups.append(ElderGroupRec(group_id, elder_id, str(code)))
            no_family = Group.NO_FAMILY in codes
            for priority, (cname, rel, phone, key) in enumerate(
                _contacts(rng, surname, sex, living, no_family), start=1
            ):
                contact_id += 1
                contacts.append(
                    ElderContactRec(contact_id, elder_id, priority, cname, rel, phone, key)
                )
    return elders, groups, contacts


def community_sigma_m(street_km2: float, communities: int) -> float:
    """How far (1 sigma, metres) a community's elders spread around its centre."""
    radius_m = math.sqrt(street_km2 / max(1, communities) / math.pi) * 1000
    return max(150.0, min(900.0, 0.5 * radius_m))

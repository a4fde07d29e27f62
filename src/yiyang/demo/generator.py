"""Pure, deterministic generation of the Jinshui demo district (no database, no clock)."""

from __future__ import annotations

import random
from datetime import date

from yiyang.demo import names
from yiyang.demo.catalog import load_catalog
from yiyang.demo.elders import CommunityPlan, community_sigma_m, generate_elders
from yiyang.demo.geography import (
    DISTRICT_CODE,
    DISTRICT_NAME,
    area_km2,
    load_streets,
    sample_near,
    spread_in,
    street_areas,
)
from yiyang.demo.records import AreaRec, DemoDistrict, FacilityRec, ProviderRec
from yiyang.demo.staff import generate_staff
from yiyang.registry.vocab import AreaLevel, FacilityKind

# Ages and dates are computed against this fixed day so that a seed always gives the same data.
AS_OF = date(2026, 1, 1)
STREET_CENTRES = 17
DAY_CARE_CENTRES = 174
MEAL_POINTS = 30
# Streets that must have a street centre (named in the source reports).
CENTRE_STREETS = ("410105019", "410105011")  # 丰庆路, 北林路
PLATFORM_STREET = "410105002"  # 花园路街道, on 红旗路
# Old-city streets hold more elders than the newer Zhengdong streets (relative weights).
STREET_ELDER_WEIGHT = {
    "410105014": 0.35, "410105015": 0.7, "410105018": 0.6, "410105560": 0.5,
    "410105561": 0.35, "410105562": 0.55, "410105563": 0.5, "410105564": 0.4,
    "410105016": 0.8, "410105017": 0.8,
}  # fmt: skip
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def credit_code(rng: random.Random, nonprofit: bool) -> str:
    """A well-formed 18-character unified social credit code (GB 32100-2015 checksums)."""
    org = [rng.randrange(10) for _ in range(8)]
    c9 = 11 - sum(d * w for d, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    org_code = "".join(map(str, org)) + {10: "X", 11: "0"}.get(c9, str(c9))
    body = ("52" if nonprofit else "91") + DISTRICT_CODE + org_code
    total = sum(_USCC_CHARS.index(ch) * pow(3, i, 31) for i, ch in enumerate(body))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def landline(rng: random.Random) -> str:
    """A Zhengzhou landline number."""
    return f"0371-6{rng.randrange(10_000_000):07d}"


def _hours(
    opening: str, closing: str, sunday: tuple[str, str] | None = None
) -> dict[str, list[str]]:
    hours = {day: [opening, closing] for day in _DAYS}
    if sunday:
        hours["sun"] = list(sunday)
    return hours


def _areas(rng: random.Random) -> tuple[list[AreaRec], dict[str, AreaRec], list[CommunityPlan]]:
    """District, streets and about 8 communities per street, with their elder plans."""
    shapes = street_areas()
    areas = [AreaRec(1, DISTRICT_CODE, DISTRICT_NAME, AreaLevel.DISTRICT.value, None)]
    streets: dict[str, AreaRec] = {}
    for s in load_streets():
        rec = AreaRec(len(areas) + 1, s.code, s.name, AreaLevel.STREET.value, 1, s.lat, s.lon)
        areas.append(rec)
        streets[s.code] = rec
    stems = list(names.COMMUNITY_STEMS)
    rng.shuffle(stems)
    plans: list[CommunityPlan] = []
    for s in load_streets():
        shape = shapes[s.code]
        km2 = area_km2(shape)
        n = rng.randint(7, 10) if km2 < 8 else rng.randint(6, 9)
        pinned = list(names.PINNED_COMMUNITIES.get(s.code, ()))
        community_names = pinned + [stems.pop() + "社区" for _ in range(n - len(pinned))]
        sigma = community_sigma_m(km2, n)
        weight = STREET_ELDER_WEIGHT.get(s.code, 1.0)
        for i, ((lat, lon), name) in enumerate(
            zip(spread_in(rng, shape, n), community_names, strict=True), start=1
        ):
            rec = AreaRec(
                len(areas) + 1,
                f"{s.code}{i:03d}",
                name,
                AreaLevel.COMMUNITY.value,
                streets[s.code].id,
                round(lat, 6),
                round(lon, 6),
            )
            areas.append(rec)
            roads = names.STREET_ROADS[s.code]
            plans.append(
                CommunityPlan(
                    community=rec,
                    street_id=streets[s.code].id,
                    street_area=shape,
                    sigma_m=sigma,
                    roads=tuple(rng.sample(roads, k=min(2, len(roads)))),
                    compounds=tuple(sorted(rng.sample(range(1, 200), k=5))),
                    weight=weight * rng.uniform(0.6, 1.4),
                )
            )
    return areas, streets, plans


def _providers(rng: random.Random) -> list[ProviderRec]:
    """The twelve providers."""
    out = []
    for i, (name, nonprofit) in enumerate(names.PROVIDERS, start=1):
        road = rng.choice(names.STREET_ROADS[rng.choice(sorted(names.STREET_ROADS))])
        contact = rng.choice([s for s, _ in names.SURNAMES[:20]]) + rng.choice(
            names.YOUNG_GIVEN_F + names.YOUNG_GIVEN_M
        )
        out.append(
            ProviderRec(
                id=i,
                code=f"JS-P{i:02d}",
                name=name,
                credit_code=credit_code(rng, nonprofit),
                contact_name=contact,
                phone=landline(rng),
                address=f"郑州市金水区{road}{rng.randint(1, 300)}号",
            )
        )
    return out


def _facilities(
    rng: random.Random,
    streets: dict[str, AreaRec],
    plans: list[CommunityPlan],
    providers: list[ProviderRec],
) -> list[FacilityRec]:
    """Platform, 17 street centres, 174 day-care centres, ~20 institutions, meal points."""
    shapes = street_areas()
    code_of = {a.id: code for code, a in streets.items()}
    out: list[FacilityRec] = []
    # Each street is run mainly by one provider (公建民营); provider 1 runs the platform.
    main_provider = {code: providers[1 + i % 11].id for i, code in enumerate(sorted(streets))}

    def add(
        name: str,
        kind: FacilityKind,
        street_code: str,
        community: AreaRec | None,
        provider_id: int,
        beds: int,
        places: int,
        meals: int,
        hours: dict[str, list[str]],
        sigma_m: float = 120.0,
    ) -> None:
        street = streets[street_code]
        centre = (community or street).lat or 0.0, (community or street).lon or 0.0
        lat, lon = sample_near(rng, shapes[street_code], centre, sigma_m, 1)[0]
        road = rng.choice(names.STREET_ROADS[street_code])
        prefix = {
            FacilityKind.DISTRICT_PLATFORM: "PLAT",
            FacilityKind.STREET_CENTRE: "SC",
            FacilityKind.DAY_CARE_CENTRE: "DC",
            FacilityKind.INSTITUTION: "INS",
            FacilityKind.MEAL_POINT: "MP",
        }[kind]
        same_kind = sum(1 for f in out if f.kind == kind.value)
        out.append(
            FacilityRec(
                id=len(out) + 1,
                code=f"JS-{prefix}-{same_kind + 1:03d}",
                name=name,
                kind=kind.value,
                street_id=street.id,
                community_id=community.id if community else None,
                provider_id=provider_id,
                address=f"郑州市金水区{road}{rng.randint(1, 260)}号",
                lat=lat,
                lon=lon,
                phone=landline(rng),
                beds_long_stay=beds,
                day_places=places,
                meals_per_day=meals,
                opening_hours=hours,
            )
        )

    add(
        "金水区智慧养老服务平台（指挥中心）",
        FacilityKind.DISTRICT_PLATFORM,
        PLATFORM_STREET,
        None,
        providers[0].id,
        0,
        0,
        0,
        _hours("00:00", "24:00"),
    )
    out[-1].address = "郑州市金水区红旗路66号"

    others = [c for c in sorted(streets) if c not in CENTRE_STREETS]
    centre_streets = sorted([*CENTRE_STREETS, *rng.sample(others, STREET_CENTRES - 2)])
    for code in centre_streets:
        add(
            f"{streets[code].name}养老服务中心",
            FacilityKind.STREET_CENTRE,
            code,
            None,
            main_provider[code],
            rng.choice((20, 24, 30, 36, 40, 50, 60)),
            rng.randrange(30, 81, 5),
            rng.randrange(100, 301, 10),
            _hours("08:00", "18:00"),
            sigma_m=250.0,
        )

    pinned = {n for ns in names.PINNED_COMMUNITIES.values() for n in ns}
    must = [p for p in plans if p.community.name in pinned]
    rest = [p for p in plans if p.community.name not in pinned]
    with_centre = must + rng.sample(rest, DAY_CARE_CENTRES - len(must))
    with_centre.sort(key=lambda p: p.community.id)
    for p in with_centre:
        code = code_of[p.street_id]
        provider = main_provider[code] if rng.random() < 0.8 else rng.choice(providers[1:]).id
        add(
            f"{p.community.name}日间照料中心",
            FacilityKind.DAY_CARE_CENTRE,
            code,
            p.community,
            provider,
            0 if rng.random() < 0.7 else rng.randrange(4, 13),
            rng.randrange(15, 41),
            0 if rng.random() < 0.3 else rng.randrange(30, 121, 5),
            _hours("08:00", "17:30", ("09:00", "16:00")),
        )

    for name, beds in names.INSTITUTIONS:
        p = rng.choice(plans)
        code = code_of[p.street_id]
        provider = providers[7].id if name.startswith("首慈乐康") else rng.choice(providers[1:]).id
        add(
            name,
            FacilityKind.INSTITUTION,
            code,
            p.community,
            provider,
            beds,
            rng.choice((0, 0, 10, 20)),
            60 if name.startswith("首慈乐康") else beds * 2,
            _hours("00:00", "24:00"),
            sigma_m=400.0,
        )

    centre_ids = {p.community.id for p in with_centre}
    lacking = [p for p in plans if p.community.id not in centre_ids]
    extra = rng.sample(with_centre, max(0, MEAL_POINTS - len(lacking)))
    for p in sorted(lacking + extra, key=lambda p: p.community.id)[:MEAL_POINTS]:
        code = code_of[p.street_id]
        label = rng.choice(("老年助餐点", "长者食堂"))
        add(
            f"{p.community.name}{label}",
            FacilityKind.MEAL_POINT,
            code,
            p.community,
            main_provider[code],
            0,
            0,
            rng.randrange(50, 201, 10),
            _hours("10:30", "18:30"),
            sigma_m=200.0,
        )
    return out


def generate_district(elders: int, seed: int = 2026) -> DemoDistrict:
    """The whole demo district from a seed; the network does not depend on the elder count."""
    if elders < 0:
        raise ValueError("elders must be >= 0")
    network = random.Random(f"jinshui-network-{seed}")
    areas, streets, plans = _areas(network)
    providers = _providers(network)
    facilities = _facilities(network, streets, plans, providers)
    staff, skills, certificates = generate_staff(network, facilities, AS_OF)
    people = random.Random(f"jinshui-elders-{seed}")
    elder_rows, groups, contacts = generate_elders(people, plans, elders, AS_OF)
    return DemoDistrict(
        seed=seed,
        as_of=AS_OF,
        areas=areas,
        providers=providers,
        facilities=facilities,
        staff=staff,
        staff_skills=skills,
        staff_certificates=certificates,
        elders=elder_rows,
        elder_groups=groups,
        elder_contacts=contacts,
        catalog=load_catalog(),
    )


__all__ = ["AS_OF", "generate_district"]

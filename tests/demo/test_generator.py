"""The demo district generator is pure, deterministic and believable (no database)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from yiyang.demo import DemoDistrict, generate_district
from yiyang.demo.generator import _USCC_CHARS
from yiyang.demo.geography import DATA_DIR, contains, load_boundary, street_areas
from yiyang.kit.idcard import age_on, parse_id_number
from yiyang.registry.vocab import (
    EconomicStatus,
    FacilityKind,
    LivingSituation,
    Skill,
    SpecialGroup,
    StaffRole,
)

ELDERS = 3000


@pytest.fixture(scope="module")
def district() -> DemoDistrict:
    return generate_district(ELDERS, seed=2026)


def test_same_seed_gives_same_records(district: DemoDistrict) -> None:
    again = generate_district(ELDERS, seed=2026)
    assert again.areas == district.areas
    assert again.facilities == district.facilities
    assert again.staff == district.staff
    assert again.staff_skills == district.staff_skills
    assert again.elders == district.elders
    assert again.elder_groups == district.elder_groups
    assert again.elder_contacts == district.elder_contacts


def test_other_seed_gives_other_elders_and_network_ignores_elder_count(
    district: DemoDistrict,
) -> None:
    other = generate_district(200, seed=7)
    assert [e.id_number for e in other.elders] != [e.id_number for e in district.elders[:200]]
    small = generate_district(10, seed=2026)
    assert small.facilities == district.facilities
    assert small.staff == district.staff
    assert len(small.elders) == 10


def test_every_coordinate_is_inside_the_district(district: DemoDistrict) -> None:
    boundary = load_boundary()
    areas = street_areas()
    code_of = {a.id: a.code for a in district.by_level("street")}
    for e in district.elders:
        assert contains(boundary, e.lat, e.lon), e
        assert contains(areas[code_of[e.street_id]], e.lat, e.lon)
    for f in district.facilities:
        assert contains(areas[code_of[f.street_id]], f.lat, f.lon), f
    for c in district.by_level("community"):
        assert c.lat is not None and c.lon is not None
        assert contains(boundary, c.lat, c.lon)


def test_id_numbers_are_valid_unique_and_match_birth_and_sex(district: DemoDistrict) -> None:
    numbers = [e.id_number for e in district.elders]
    assert len(set(numbers)) == len(numbers)
    for e in district.elders:
        facts = parse_id_number(e.id_number)
        assert facts.birth_date == e.birth_date
        assert facts.sex == e.sex
    share_local = sum(n.startswith("410105") for n in numbers) / len(numbers)
    assert 0.7 < share_local < 0.9
    assert all(n[:2] == "41" for n in numbers)  # all Henan
    staff_numbers = [s.id_number for s in district.staff]
    assert len(set(staff_numbers)) == len(staff_numbers)
    for number in staff_numbers:
        parse_id_number(number)


def test_area_tree_has_the_24_real_streets_and_their_communities(district: DemoDistrict) -> None:
    streets = district.by_level("street")
    expected = json.loads((DATA_DIR / "jinshui_streets.json").read_text(encoding="utf-8"))
    assert [(s.code, s.name) for s in streets] == [(r["code"], r["name"]) for r in expected]
    assert district.by_level("district")[0].code == "410105"
    communities = district.by_level("community")
    per_street = Counter(c.parent_id for c in communities)
    assert set(per_street) == {s.id for s in streets}
    assert all(6 <= n <= 10 for n in per_street.values())
    by_id = {a.id: a for a in district.areas}
    for c in communities:
        assert len(c.code) == 12 and c.code.startswith(by_id[c.parent_id or 0].code)
    assert len({c.name for c in communities}) == len(communities)
    assert len({c.code for c in communities}) == len(communities)
    for name, street in (
        ("文雅社区", "北林路街道"),
        ("省银行社区", "花园路街道"),
        ("四月天社区", "丰庆路街道"),
    ):
        assert by_id[district.area_by_name(name).parent_id or 0].name == street


def test_facility_network_matches_the_reports(district: DemoDistrict) -> None:
    kinds = Counter(f.kind for f in district.facilities)
    assert kinds[FacilityKind.DISTRICT_PLATFORM] == 1
    assert kinds[FacilityKind.STREET_CENTRE] == 17
    assert kinds[FacilityKind.DAY_CARE_CENTRE] == 174
    assert 18 <= kinds[FacilityKind.INSTITUTION] <= 22
    assert kinds[FacilityKind.MEAL_POINT] > 0
    names = {f.name: f for f in district.facilities}
    assert "丰庆路街道养老服务中心" in names and "北林路街道养老服务中心" in names
    assert names["首慈乐康养护院"].beds_long_stay == 294
    platform = next(f for f in district.facilities if f.kind == FacilityKind.DISTRICT_PLATFORM)
    assert "红旗路" in platform.address
    centre_streets = [f.street_id for f in district.facilities if f.kind == "street_centre"]
    assert len(set(centre_streets)) == 17
    day_care_communities = [
        f.community_id for f in district.facilities if f.kind == "day_care_centre"
    ]
    assert len(set(day_care_communities)) == 174
    provider_ids = {p.id for p in district.providers}
    for f in district.facilities:
        assert f.provider_id in provider_ids
        assert list(f.opening_hours) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        assert all(len(v) == 2 and v[0] < v[1] for v in f.opening_hours.values())
        assert f.address.startswith("郑州市金水区")


def test_twelve_providers_with_valid_credit_codes(district: DemoDistrict) -> None:
    assert len(district.providers) == 12
    codes = [p.credit_code for p in district.providers]
    assert len(set(codes)) == 12
    for code in codes:
        assert len(code) == 18
        total = sum(_USCC_CHARS.index(ch) * pow(3, i, 31) for i, ch in enumerate(code[:17]))
        assert _USCC_CHARS[(31 - total % 31) % 31] == code[17]


def test_staff_have_roles_skills_certificates_and_shifts(district: DemoDistrict) -> None:
    roles = Counter(r for s in district.staff for r in s.roles)
    assert roles[StaffRole.MANAGER] == 100
    assert sum(n for r, n in roles.items() if r != StaffRole.MANAGER) == 500
    assert set(roles) <= set(StaffRole)
    skills = district.skills_by_staff()
    assert {s.skill for s in district.staff_skills} <= set(Skill)
    facilities = {f.id: f for f in district.facilities}
    for s in district.staff:
        held = skills.get(s.id, {})
        if StaffRole.BATH_AIDE in s.roles:
            assert Skill.BATHING in held
        if StaffRole.NURSE in s.roles:
            assert {Skill.NURSING, Skill.HEALTH_CHECK} <= set(held)
        assert facilities[s.facility_id].provider_id == s.provider_id
        assert all(
            day in {"mon", "tue", "wed", "thu", "fri", "sat", "sun"} for day in s.working_pattern
        )
        assert s.working_pattern
    fengqing = next(f for f in district.facilities if f.name == "丰庆路街道养老服务中心")
    assert any(
        s.facility_id == fengqing.id and Skill.BATHING in skills.get(s.id, {})
        for s in district.staff
    )
    with_cert = {c.staff_id for c in district.staff_certificates}
    caregivers = [s for s in district.staff if StaffRole.CAREGIVER in s.roles]
    assert all(s.id in with_cert for s in caregivers)


def test_elder_mix_is_believable(district: DemoDistrict) -> None:
    elders = district.elders
    ages = [age_on(e.birth_date, district.as_of) for e in elders]
    assert min(ages) >= 60 and max(ages) <= 105
    sixties = [e for e, a in zip(elders, ages, strict=True) if a < 70]
    eighty_plus = [e for e, a in zip(elders, ages, strict=True) if a >= 80]
    assert len(sixties) > 2 * len(eighty_plus) > 0

    def women(group: list) -> float:
        return sum(e.sex == "F" for e in group) / len(group)

    assert women(eighty_plus) > women(sixties)
    grouped = Counter(g.elder_id for g in district.elder_groups)
    assert 0.05 <= len(grouped) / len(elders) <= 0.10
    assert max(grouped.values()) <= 2
    assert {g.code for g in district.elder_groups} <= set(SpecialGroup)
    assert {e.living_situation for e in elders} == set(LivingSituation)
    assert {e.economic_status for e in elders} <= set(EconomicStatus)
    poor = sum(e.economic_status != "none" for e in elders) / len(elders)
    assert 0.03 < poor < 0.15
    assert sum(e.consent_given for e in elders) / len(elders) > 0.85
    status = Counter(e.status for e in elders)
    assert status["active"] / len(elders) > 0.95 and status["deceased"] > 0 and status["moved"] > 0
    assert all(e.capability_level is None or 0 <= e.capability_level <= 4 for e in elders)
    assert all(e.phone is None or (len(e.phone) == 11 and e.phone[0] == "1") for e in elders)


def test_contacts_are_ordered_and_bounded(district: DemoDistrict) -> None:
    by_elder: dict[int, list[int]] = {}
    for c in district.elder_contacts:
        by_elder.setdefault(c.elder_id, []).append(c.priority)
        assert len(c.phone) == 11
    assert all(p == list(range(1, len(p) + 1)) and len(p) <= 3 for p in by_elder.values())
    assert any(c.has_key for c in district.elder_contacts)
    assert len(by_elder) < len(district.elders)  # some elders have no contact


def test_every_elder_lives_in_a_community_of_their_street(district: DemoDistrict) -> None:
    parent = {a.id: a.parent_id for a in district.by_level("community")}
    assert all(parent[e.community_id] == e.street_id for e in district.elders)
    assert all(e.address.startswith("郑州市金水区") for e in district.elders)


def test_catalog_covers_the_seven_categories_and_special_services(district: DemoDistrict) -> None:
    catalog = district.catalog
    assert [c.name_zh for c in catalog.categories] == [
        "生活照料", "基础照护", "健康管理", "探访关爱", "精神慰藉", "委托代办", "适老化改造",
    ]  # fmt: skip
    purchasable = {i.code for i in catalog.items if i.government_purchasable}
    assert {
        "meal_delivery",
        "bath_home",
        "cleaning",
        "medical_escort",
        "mobility_help",
    } <= purchasable
    assert "proactive_visit" in purchasable
    for item in catalog.items:
        assert item.prices and all(p.standard_minutes > 0 and p.price_fen >= 0 for p in item.prices)
        assert set(item.required_skills) <= set(Skill)
    bath = next(i for i in catalog.items if i.code == "bath_home")
    assert bath.prices[-1].price_fen == 8000 and bath.prices[-1].standard_minutes == 60


def test_mobility_follows_capability_and_conditions_are_plausible(district: DemoDistrict) -> None:
    elders = district.elders
    severe = [e for e in elders if e.capability_level is not None and e.capability_level >= 3]
    assert severe and all(e.mobility in ("wheelchair", "bedridden", "walking_aid") for e in severe)
    assert all(e.mobility in ("wheelchair", "bedridden") for e in severe if e.capability_level == 4)
    capable = [e for e in elders if e.capability_level == 0]
    assert all(e.mobility in ("independent", "walking_aid") for e in capable)
    assert {e.mobility for e in elders} == {None, "independent", "walking_aid", "wheelchair",
                                            "bedridden"}  # fmt: skip
    with_conditions = [e for e in elders if e.conditions]
    assert 0.3 < len(with_conditions) / len(elders) < 0.75
    assert all(0 < len(e.conditions or "") <= 500 for e in with_conditions)
    assert all(e.conditions for e in elders if e.mobility == "bedridden")
    # The same seed gives the same health data; another run of the generator does too.
    again = generate_district(ELDERS, seed=2026)
    assert [(e.mobility, e.conditions) for e in again.elders] == [
        (e.mobility, e.conditions) for e in elders
    ]

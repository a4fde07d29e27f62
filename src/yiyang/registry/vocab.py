"""Controlled vocabularies of the registry (DOMAIN.md §2–5): codes stored, labels translated."""

from __future__ import annotations

from enum import StrEnum

from yiyang.errors import N_


class AreaLevel(StrEnum):
    """Administrative tiers of the district tree."""

    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


class FacilityKind(StrEnum):
    """The three tiers of centres plus meal points and institutions."""

    DISTRICT_PLATFORM = "district_platform"
    STREET_CENTRE = "street_centre"
    DAY_CARE_CENTRE = "day_care_centre"
    MEAL_POINT = "meal_point"
    INSTITUTION = "institution"


class LivingSituation(StrEnum):
    """How an elder lives (DOMAIN.md §4)."""

    ALONE = "alone"
    EMPTY_NEST = "empty_nest"
    WITH_SPOUSE = "with_spouse"
    WITH_CHILDREN = "with_children"
    WITH_RELATIVES = "with_relatives"
    IN_INSTITUTION = "in_institution"


class SpecialGroup(StrEnum):
    """The seven groups of special-difficulty elders (七类)."""

    NO_FAMILY = "no_family"  # 孤寡
    LIVING_ALONE = "living_alone"  # 独居
    EMPTY_NEST = "empty_nest"  # 空巢
    LEFT_BEHIND = "left_behind"  # 留守
    DISABLED = "disabled"  # 失能
    SEVERE_DISABILITY = "severe_disability"  # 重残
    LOST_ONLY_CHILD = "lost_only_child"  # 计划生育特殊家庭


class EconomicStatus(StrEnum):
    """Economic categories used for government purchase eligibility."""

    NONE = "none"
    EXTREME_POVERTY = "extreme_poverty"  # 特困
    MINIMUM_LIVING = "minimum_living"  # 低保
    NEAR_MINIMUM = "near_minimum"  # 低保边缘
    LOW_INCOME = "low_income"  # 低收入


class ElderStatus(StrEnum):
    """Whether the elder is still served."""

    ACTIVE = "active"
    MOVED = "moved"
    DECEASED = "deceased"


class Mobility(StrEnum):
    """How an elder moves about (what a caregiver or responder must bring or expect)."""

    INDEPENDENT = "independent"
    WALKING_AID = "walking_aid"  # stick or frame
    WHEELCHAIR = "wheelchair"
    BEDRIDDEN = "bedridden"


class AwayReason(StrEnum):
    """Why an elder is away from home for a while (no inactivity alarms meanwhile)."""

    HOSPITAL = "hospital"
    VISITING_FAMILY = "visiting_family"  # staying with children or relatives
    TRAVEL = "travel"
    RESPITE = "respite"  # a short stay in an institution
    OTHER = "other"


class Sex(StrEnum):
    """Sex as derived from the ID number."""

    MALE = "M"
    FEMALE = "F"


class StaffRole(StrEnum):
    """What a staff member does."""

    CAREGIVER = "caregiver"  # 居家服务员
    NURSE = "nurse"
    BATH_AIDE = "bath_aide"  # 助浴员
    DRIVER = "driver"
    MANAGER = "manager"
    SOCIAL_WORKER = "social_worker"
    DIETITIAN = "dietitian"
    CARE_BUTLER = "care_butler"  # 养老管家
    COOK = "cook"


class Skill(StrEnum):
    """Skills a service item may require and a staff member may hold (level 1–5)."""

    MEALS = "meals"
    BATHING = "bathing"
    CLEANING = "cleaning"
    MEDICAL_ESCORT = "medical_escort"
    MOBILITY = "mobility"
    VISITING = "visiting"
    PERSONAL_CARE = "personal_care"
    NURSING = "nursing"
    REHAB = "rehab"
    HEALTH_CHECK = "health_check"
    COUNSELLING = "counselling"
    ERRANDS = "errands"
    HOME_ADAPTATION = "home_adaptation"
    DRIVING = "driving"
    FIRST_AID = "first_aid"


class TravelMode(StrEnum):
    """How a caregiver gets to visits (dispatch uses a speed per mode)."""

    WALK = "walk"
    BICYCLE = "bicycle"
    EBIKE = "ebike"
    CAR = "car"


class StaffStatus(StrEnum):
    """Employment status of a staff member."""

    ACTIVE = "active"
    ON_LEAVE = "on_leave"
    LEFT = "left"


LABELS: dict[str, str] = {
    "district": N_("District"),
    "street": N_("Street"),
    "community": N_("Community"),
    "district_platform": N_("District platform"),
    "street_centre": N_("Street centre"),
    "day_care_centre": N_("Community day-care centre"),
    "meal_point": N_("Meal point"),
    "institution": N_("Institution"),
    "alone": N_("Lives alone"),
    "empty_nest": N_("Empty nest"),
    "with_spouse": N_("With spouse"),
    "with_children": N_("With children"),
    "with_relatives": N_("With other relatives"),
    "in_institution": N_("In an institution"),
    "no_family": N_("No family"),
    "living_alone": N_("Living alone"),
    "left_behind": N_("Left behind"),
    "disabled": N_("Disabled in daily living"),
    "severe_disability": N_("Severe disability"),
    "lost_only_child": N_("Lost only child"),
    "none": N_("None"),
    "extreme_poverty": N_("Extreme poverty"),
    "minimum_living": N_("Minimum living allowance"),
    "near_minimum": N_("Near minimum allowance"),
    "low_income": N_("Low income"),
    "active": N_("Active"),
    "moved": N_("Moved away"),
    "deceased": N_("Deceased"),
    "M": N_("Male"),
    "F": N_("Female"),
    "caregiver": N_("Caregiver"),
    "nurse": N_("Nurse"),
    "bath_aide": N_("Bathing aide"),
    "driver": N_("Driver"),
    "manager": N_("Manager"),
    "social_worker": N_("Social worker"),
    "dietitian": N_("Dietitian"),
    "care_butler": N_("Care butler"),
    "cook": N_("Cook"),
    "meals": N_("Meals"),
    "bathing": N_("Bathing"),
    "cleaning": N_("Cleaning"),
    "medical_escort": N_("Medical escort"),
    "mobility": N_("Mobility help"),
    "visiting": N_("Visiting"),
    "personal_care": N_("Personal care"),
    "nursing": N_("Nursing"),
    "rehab": N_("Rehabilitation"),
    "health_check": N_("Health check"),
    "counselling": N_("Counselling"),
    "errands": N_("Errands"),
    "home_adaptation": N_("Home adaptation"),
    "driving": N_("Driving"),
    "first_aid": N_("First aid"),
    "walk": N_("On foot"),
    "bicycle": N_("Bicycle"),
    "ebike": N_("E-bike"),
    "car": N_("Car"),
    "on_leave": N_("On leave"),
    "left": N_("Left"),
    "independent": N_("Walks unaided"),
    "walking_aid": N_("Walks with a stick or frame"),
    "wheelchair": N_("Uses a wheelchair"),
    "bedridden": N_("Bedridden"),
    "hospital": N_("In hospital"),
    "visiting_family": N_("Staying with family"),
    "travel": N_("Travelling"),
    "respite": N_("Short stay in an institution"),
    "other": N_("Other reason"),
}
# How a contact is related to the elder: stored as the words people typed (the demo and
# imports write Chinese), shown in the reader's language when the word is a known one.
RELATION_LABELS: dict[str, str] = {
    "配偶": N_("Spouse"),
    "儿子": N_("Son"),
    "女儿": N_("Daughter"),
    "儿媳": N_("Daughter-in-law"),
    "女婿": N_("Son-in-law"),
    "孙子": N_("Grandson"),
    "孙女": N_("Granddaughter"),
    "外孙": N_("Grandson (daughter's son)"),
    "外孙女": N_("Granddaughter (daughter's daughter)"),
    "侄子": N_("Nephew"),
    "侄女": N_("Niece"),
    "外甥": N_("Nephew (sister's son)"),
    "外甥女": N_("Niece (sister's daughter)"),
    "邻居": N_("Neighbour"),
    "社区网格员": N_("Community grid worker"),
    "朋友": N_("Friend"),
    "保姆": N_("Housekeeper"),
}
LABELS.update(RELATION_LABELS)

"""Pure order rules: the state machine, price in force, windows, subsidy splits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from yiyang.errors import Conflict
from yiyang.orders import rules
from yiyang.orders import subsidy_rules as sr
from yiyang.orders.rules import Event as E
from yiyang.orders.rules import Status as S

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_happy_path_walks_the_whole_lifecycle() -> None:
    path = [
        E.PRICE, E.OFFER, E.ORG_ACCEPT, E.ASSIGN, E.CAREGIVER_ACCEPT, E.DEPART, E.CHECK_IN,
        E.CHECK_OUT, E.COMPLETE, E.CONFIRM, E.SETTLE,
    ]  # fmt: skip
    status = S.CREATED
    for event in path:
        status = rules.transition(status, event)
    assert status == S.SETTLED


@pytest.mark.parametrize(("status", "event"), sorted(rules.TRANSITIONS))
def test_every_legal_move(status: S, event: E) -> None:
    assert rules.transition(status, event) == rules.TRANSITIONS[(status, event)]


@pytest.mark.parametrize(
    ("status", "event"),
    [(s, e) for s in S for e in E if (s, e) not in rules.TRANSITIONS],
)
def test_every_illegal_move_is_refused_by_name(status: S, event: E) -> None:
    with pytest.raises(rules.IllegalTransition) as err:
        rules.transition(status, event)
    assert err.value.status_code == 409
    assert str(status) in str(err.value) and str(event) in str(err.value)


def test_terminal_states_allow_nothing() -> None:
    for status in rules.TERMINAL:
        assert rules.allowed_events(status) == []


def test_refusal_and_timeout_loop_back_to_dispatch() -> None:
    assert rules.transition(S.OFFERED, E.ORG_TIMEOUT) == S.ORG_REFUSED
    assert rules.transition(S.ORG_REFUSED, E.OFFER) == S.OFFERED
    assert rules.transition(S.ASSIGNED, E.CAREGIVER_TIMEOUT) == S.CAREGIVER_REFUSED
    assert rules.transition(S.CAREGIVER_REFUSED, E.QUEUE) == S.QUEUED
    assert rules.transition(S.ON_THE_WAY, E.CAREGIVER_UNAVAILABLE) == S.CAREGIVER_REFUSED


def test_unknown_status_or_event() -> None:
    with pytest.raises(rules.IllegalTransition):
        rules.transition("nonsense", "price")
    with pytest.raises(rules.IllegalTransition):
        rules.transition("created", "teleport")


def test_price_in_force_is_latest_effective_on_or_before_the_day() -> None:
    prices = [
        rules.PriceFacts(1, date(2026, 1, 1), 5000, 60),
        rules.PriceFacts(2, date(2026, 12, 1), 6000, 60),
    ]
    assert rules.price_for(prices, date(2026, 11, 30)).id == 1  # type: ignore[union-attr]
    assert rules.price_for(prices, date(2026, 12, 1)).id == 2  # type: ignore[union-attr]
    assert rules.price_for(prices, date(2025, 12, 31)) is None


def test_window_problems() -> None:
    ok = rules.window_problems(
        NOW + timedelta(hours=1), NOW + timedelta(hours=3), now=NOW, standard_minutes=60,
        max_days_ahead=30,
    )  # fmt: skip
    assert ok == []

    def codes(start: datetime, end: datetime) -> set[str]:
        found = rules.window_problems(start, end, now=NOW, standard_minutes=60, max_days_ahead=30)
        return {p.code for p in found}

    assert codes(NOW - timedelta(hours=1), NOW + timedelta(hours=1)) == {"in_past"}
    assert codes(NOW + timedelta(hours=3), NOW + timedelta(hours=2)) == {"inverted"}
    assert codes(NOW + timedelta(hours=1), NOW + timedelta(minutes=90)) == {"too_short"}
    assert codes(NOW + timedelta(days=31), NOW + timedelta(days=31, hours=2)) == {"too_far"}


MONTHLY = sr.PolicyFacts(
    id=1, code="monthly", name="600", effective_date=date(2026, 1, 1),
    eligibility=({"economic_statuses": ["extreme_poverty", "minimum_living"]},
                 {"min_age": 80, "living_situations": ["alone"]}),
    monthly_quota_fen=60_000,
)  # fmt: skip
MEAL = sr.PolicyFacts(
    id=2, code="meal", name="meal", effective_date=date(2026, 1, 1),
    eligibility=({"min_age": 60},), item_codes=frozenset({"meal_delivery"}),
    per_order_cap_fen=300, weekly_quota_count=5,
)  # fmt: skip
POOR = sr.ElderFacts(age=70, economic_status="minimum_living")
OLD_ALONE = sr.ElderFacts(age=85, living_situation="alone")
YOUNG = sr.ElderFacts(age=65)


def test_eligibility_clauses_are_or_of_ands() -> None:
    assert sr.eligible(MONTHLY, POOR)
    assert sr.eligible(MONTHLY, OLD_ALONE)
    assert not sr.eligible(MONTHLY, YOUNG)
    assert not sr.eligible(MONTHLY, sr.ElderFacts(age=85, living_situation="with_children"))


def test_full_subsidy_within_quota() -> None:
    s = sr.split(5000, MONTHLY, POOR, sr.Usage(), item_code="bath_home")
    assert (s.government_fen, s.elder_fen, s.reason) == (5000, 0, sr.SUBSIDISED)


def test_quota_exhaustion_mid_month_splits_then_elder_pays() -> None:
    part = sr.split(5000, MONTHLY, POOR, sr.Usage(month_fen=58_000), item_code="bath_home")
    assert (part.government_fen, part.elder_fen, part.reason) == (2000, 3000, sr.PARTLY_SUBSIDISED)
    none = sr.split(5000, MONTHLY, POOR, sr.Usage(month_fen=60_000), item_code="bath_home")
    assert (none.government_fen, none.elder_fen) == (0, 5000)
    assert none.reason == sr.MONTHLY_AMOUNT_EXHAUSTED


def test_meal_cap_per_meal_and_per_week() -> None:
    s = sr.split(1500, MEAL, YOUNG, sr.Usage(week_count=4), item_code="meal_delivery")
    assert (s.government_fen, s.elder_fen) == (300, 1200)
    sixth = sr.split(1500, MEAL, YOUNG, sr.Usage(week_count=5), item_code="meal_delivery")
    assert (sixth.government_fen, sixth.reason) == (0, sr.WEEKLY_COUNT_EXHAUSTED)
    other = sr.split(1500, MEAL, YOUNG, sr.Usage(), item_code="bath_home")
    assert other.reason == sr.ITEM_NOT_COVERED


def test_ineligible_elder_pays_all() -> None:
    best = sr.best_split(
        5000, [MONTHLY, MEAL], YOUNG, {}, item_code="bath_home", government_purchasable=True
    )
    assert (best.government_fen, best.elder_fen, best.reason) == (0, 5000, sr.NOT_ELIGIBLE)
    nothing = sr.best_split(5000, [], POOR, {}, item_code="x", government_purchasable=True)
    assert nothing.reason == sr.NO_POLICY


def test_best_split_prefers_most_government_money() -> None:
    best = sr.best_split(
        1500, [MONTHLY, MEAL], POOR, {}, item_code="meal_delivery", government_purchasable=True
    )
    assert best.policy_code == "monthly" and best.government_fen == 1500


def test_policy_versions_in_force() -> None:
    v2 = sr.PolicyFacts(id=3, code="monthly", name="800", effective_date=date(2026, 7, 1))
    ended = sr.PolicyFacts(
        id=4, code="old", name="old", effective_date=date(2025, 1, 1), end_date=date(2026, 1, 1)
    )
    assert [p.id for p in sr.in_force([MONTHLY, v2, ended], date(2026, 6, 30))] == [1]
    assert [p.id for p in sr.in_force([MONTHLY, v2, ended], date(2026, 7, 1))] == [3]


def test_platform_events_are_never_fired_by_hand_not_even_by_a_district_admin() -> None:
    for event in ("offer", "queue", "assign", "org_timeout", "caregiver_timeout", "reassign"):
        assert not rules.may_fire("district_admin", event)
    assert rules.may_fire("district_admin", "cancel")


def test_settled_only_through_a_settlement_run() -> None:
    assert rules.transition("completed", "settle") == "settled"
    assert rules.transition("confirmed", "settle") == "settled"
    with pytest.raises(Conflict):
        rules.transition("checked_out", "settle")
    assert not rules.may_fire("district_admin", "settle")

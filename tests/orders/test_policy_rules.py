"""Pure: the policy version in force on a day, new-version dates, and "not eligible" in words."""

from __future__ import annotations

from datetime import date

from yiyang.orders import subsidy_rules as subsidy
from yiyang.orders import subsidy_words
from yiyang.orders.schemas import Quote

SPECIAL = (
    {"economic_statuses": ["extreme_poverty", "minimum_living"]},
    {"min_age": 80, "living_situations": ["alone"]},
    {"min_capability_level": 3},
)


def version(day: date, pid: int, code: str = "p", **kw: object) -> subsidy.PolicyFacts:
    return subsidy.PolicyFacts(id=pid, code=code, name="特困", effective_date=day, **kw)  # type: ignore[arg-type]


def test_the_version_in_force_on_the_service_date() -> None:
    v1 = version(date(2026, 1, 1), 1, share_percent=100)
    v2 = version(date(2026, 12, 1), 2, share_percent=50)
    retired = version(date(2027, 3, 1), 3, retired=True)
    versions = [v2, retired, v1]  # order does not matter
    assert subsidy.version_on(versions, date(2025, 12, 31)) is None
    assert subsidy.version_on(versions, date(2026, 11, 30)) == v1
    assert subsidy.version_on(versions, date(2026, 12, 1)) == v2
    assert subsidy.version_on(versions, date(2027, 2, 28)) == v2
    assert subsidy.version_on(versions, date(2027, 3, 1)) is None  # retired from that day
    other = version(date(2026, 6, 1), 4, code="meal")
    assert {p.id for p in subsidy.in_force([*versions, other], date(2026, 12, 5))} == {2, 4}


def test_a_new_version_never_rewrites_a_priced_day() -> None:
    existing = [date(2026, 1, 1), date(2026, 12, 1)]
    today = date(2026, 11, 23)
    assert subsidy.new_version_problem(existing, date(2026, 11, 22), today) == "past"
    assert subsidy.new_version_problem(existing, date(2026, 12, 1), today) == "not_after_latest"
    assert subsidy.new_version_problem(existing, date(2026, 11, 30), today) == "not_after_latest"
    assert subsidy.new_version_problem(existing, date(2026, 12, 2), today) is None
    assert subsidy.new_version_problem([], today, today) is None


def test_not_eligible_says_which_rule_failed_per_clause() -> None:
    p = version(date(2026, 1, 1), 1, eligibility=SPECIAL, name_en="Special difficulty")
    elder = subsidy.ElderFacts(age=72, economic_status="none", living_situation="with_spouse")
    s = subsidy.best_split(8000, [p], elder, {}, item_code="bath_home", government_purchasable=True)
    assert (s.government_fen, s.reason) == (0, subsidy.NOT_ELIGIBLE)
    (miss,) = s.misses
    assert [[u.condition for u in clause] for clause in miss.clauses] == [
        ["economic_statuses"],
        ["living_situations", "min_age"],
        ["min_capability_level"],
    ]
    assert miss.clauses[1][1] == subsidy.Unmet("min_age", 80, 72)
    assert miss.clauses[2][0].actual is None  # never assessed
    quote = Quote(
        item_code="bath_home", price_id=1, price_effective_date=date(2026, 1, 1), price_fen=8000,
        standard_minutes=60, government_fen=0, elder_fen=8000, subsidy_reason=s.reason,
        subsidy_misses=[subsidy_words.miss_read(m) for m in s.misses],
    )  # fmt: skip
    (en,) = subsidy_words.why("en", quote)
    assert en.startswith("Special difficulty — not eligible: ")
    assert "economic status is None (needs Extreme poverty" in en
    assert "aged 72 (needs 80 or older)" in en
    assert "no capability assessment (needs level 3 or higher)" in en
    (zh,) = subsidy_words.why("zh_CN", quote)
    assert zh.startswith("特困") and "72" in zh and "Special" not in zh
    codes = [(p.code, p.params) for p in subsidy_words.problems(s.misses)]
    assert ("not_eligible", {"needed": 80, "actual": 72}) in codes


def test_a_paid_order_has_no_misses_and_other_reasons_have_words() -> None:
    meal = version(
        date(2026, 1, 1), 1, code="meal", item_codes=frozenset({"meal"}), weekly_quota_count=5
    )
    elder = subsidy.ElderFacts(age=90)
    paid = subsidy.best_split(300, [meal], elder, {}, item_code="meal", government_purchasable=True)
    assert paid.government_fen == 300 and paid.misses == ()
    used = {"meal": subsidy.Usage(week_count=5)}
    spent = subsidy.best_split(
        300, [meal], elder, used, item_code="meal", government_purchasable=True
    )
    other = subsidy.best_split(
        300, [meal], elder, {}, item_code="bath_home", government_purchasable=True
    )
    assert spent.misses[0].limit == 5 and other.misses[0].reason == subsidy.ITEM_NOT_COVERED
    none = subsidy.best_split(300, [], elder, {}, item_code="x", government_purchasable=True)
    quote = Quote(
        item_code="x", price_id=1, price_effective_date=date(2026, 1, 1), price_fen=300,
        standard_minutes=30, government_fen=0, elder_fen=300, subsidy_reason=none.reason,
    )  # fmt: skip
    assert subsidy_words.why("en", quote) == [
        "No government-purchase policy is in force on that day."
    ]

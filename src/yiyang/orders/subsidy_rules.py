"""Pure government-purchase rules: who is eligible, for what, and how a price is split."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any


@dataclass(frozen=True)
class ElderFacts:
    """What eligibility looks at."""

    age: int
    special_groups: frozenset[str] = frozenset()
    economic_status: str = "none"
    living_situation: str = ""
    capability_level: int | None = None


@dataclass(frozen=True)
class PolicyFacts:
    """One subsidy policy version as plain values (see orders.models.SubsidyPolicy)."""

    id: int
    code: str
    name: str
    effective_date: date
    end_date: date | None = None
    eligibility: Sequence[Mapping[str, Any]] = ()
    item_codes: frozenset[str] = frozenset()
    share_percent: int = 100
    per_order_cap_fen: int | None = None
    monthly_quota_fen: int | None = None
    monthly_quota_count: int | None = None
    weekly_quota_count: int | None = None
    priority: int = 0
    name_en: str | None = None
    retired: bool = False


@dataclass(frozen=True)
class Unmet:
    """One condition of an eligibility clause the elder does not meet, with both sides."""

    condition: str  # a clause key: special_groups, economic_statuses, min_age, …
    required: tuple[str, ...] | int
    actual: tuple[str, ...] | str | int | None


@dataclass(frozen=True)
class Miss:
    """Why one policy in force pays nothing for this order (the words come from the pages)."""

    policy_code: str
    policy_name: str
    policy_name_en: str | None
    reason: str
    clauses: tuple[tuple[Unmet, ...], ...] = ()  # per clause, the conditions it failed
    limit: int | None = None


@dataclass(frozen=True)
class Usage:
    """Government money and orders already used under a policy (by code) by one elder."""

    month_fen: int = 0
    month_count: int = 0
    week_count: int = 0


@dataclass(frozen=True)
class Split:
    """Who pays what for one order, under which policy, and the reason code."""

    government_fen: int
    elder_fen: int
    reason: str
    policy_id: int | None = None
    policy_code: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    misses: tuple[Miss, ...] = ()  # when nothing is paid: why, policy by policy


# Reason codes (pages translate them).
NO_POLICY = "no_policy"
NOT_ELIGIBLE = "not_eligible"
ITEM_NOT_COVERED = "item_not_covered"
MONTHLY_AMOUNT_EXHAUSTED = "monthly_amount_exhausted"
MONTHLY_COUNT_EXHAUSTED = "monthly_count_exhausted"
WEEKLY_COUNT_EXHAUSTED = "weekly_count_exhausted"
SUBSIDISED = "subsidised"
PARTLY_SUBSIDISED = "partly_subsidised"  # the quota left covers only part of it
NOT_REQUESTED = "not_requested"
INELIGIBLE_REASONS = frozenset({NO_POLICY, NOT_ELIGIBLE, ITEM_NOT_COVERED})


def in_force(policies: Iterable[PolicyFacts], day: date) -> list[PolicyFacts]:
    """The version of each policy code in force on `day` (ended and retired policies drop out)."""
    latest: dict[str, PolicyFacts] = {}
    for p in policies:
        if p.effective_date <= day and (
            p.code not in latest or p.effective_date > latest[p.code].effective_date
        ):
            latest[p.code] = p
    return [
        p for p in latest.values() if not p.retired and (p.end_date is None or p.end_date > day)
    ]


def version_on(versions: Iterable[PolicyFacts], day: date) -> PolicyFacts | None:
    """The version of one policy in force on `day` (None before its first, or once retired)."""
    found = in_force(versions, day)
    return found[0] if found else None


def new_version_problem(versions: Sequence[date], effective_date: date, today: date) -> str | None:
    """Why a new version cannot start on `effective_date`, or None: a version never rewrites a
    day already priced, nor lands on or before a version already planned."""
    if effective_date < today:
        return "past"
    if any(d >= effective_date for d in versions):
        return "not_after_latest"
    return None


def unmet_conditions(clause: Mapping[str, Any], elder: ElderFacts) -> tuple[Unmet, ...]:
    """The conditions of one clause this elder fails (empty: the clause matches)."""
    out: list[Unmet] = []
    groups = clause.get("special_groups")
    if groups and not elder.special_groups & set(groups):
        out.append(Unmet("special_groups", tuple(groups), tuple(sorted(elder.special_groups))))
    statuses = clause.get("economic_statuses")
    if statuses and elder.economic_status not in statuses:
        out.append(Unmet("economic_statuses", tuple(statuses), elder.economic_status))
    situations = clause.get("living_situations")
    if situations and elder.living_situation not in situations:
        out.append(Unmet("living_situations", tuple(situations), elder.living_situation))
    min_age = clause.get("min_age")
    if min_age is not None and elder.age < int(min_age):
        out.append(Unmet("min_age", int(min_age), elder.age))
    min_level = clause.get("min_capability_level")
    if min_level is not None and (
        elder.capability_level is None or elder.capability_level < int(min_level)
    ):
        out.append(Unmet("min_capability_level", int(min_level), elder.capability_level))
    return tuple(out)


def _clause_matches(clause: Mapping[str, Any], elder: ElderFacts) -> bool:
    return not unmet_conditions(clause, elder)


def eligible(policy: PolicyFacts, elder: ElderFacts) -> bool:
    """Whether any eligibility clause matches (a policy with no clauses covers every elder)."""
    return not policy.eligibility or any(_clause_matches(c, elder) for c in policy.eligibility)


def covers(policy: PolicyFacts, item_code: str, government_purchasable: bool) -> bool:
    """Whether the policy pays for this item."""
    if policy.item_codes:
        return item_code in policy.item_codes
    return government_purchasable


def split(
    price_fen: int,
    policy: PolicyFacts,
    elder: ElderFacts,
    usage: Usage,
    *,
    item_code: str,
    government_purchasable: bool = True,
) -> Split:
    """Government and elder shares of one order under one policy, given what is used already."""

    def elder_pays(reason: str, **detail: Any) -> Split:
        return Split(0, price_fen, reason, policy.id, policy.code, detail)

    if not covers(policy, item_code, government_purchasable):
        return elder_pays(ITEM_NOT_COVERED)
    if not eligible(policy, elder):
        return elder_pays(
            NOT_ELIGIBLE, unmet=[unmet_conditions(c, elder) for c in policy.eligibility]
        )
    if policy.weekly_quota_count is not None and usage.week_count >= policy.weekly_quota_count:
        return elder_pays(WEEKLY_COUNT_EXHAUSTED, limit=policy.weekly_quota_count)
    if policy.monthly_quota_count is not None and usage.month_count >= policy.monthly_quota_count:
        return elder_pays(MONTHLY_COUNT_EXHAUSTED, limit=policy.monthly_quota_count)
    gov = price_fen * policy.share_percent // 100
    if policy.per_order_cap_fen is not None:
        gov = min(gov, policy.per_order_cap_fen)
    reason = SUBSIDISED
    if policy.monthly_quota_fen is not None:
        left = max(0, policy.monthly_quota_fen - usage.month_fen)
        if left <= 0:
            return elder_pays(MONTHLY_AMOUNT_EXHAUSTED, limit_fen=policy.monthly_quota_fen)
        if left < gov:
            gov, reason = left, PARTLY_SUBSIDISED
    return Split(gov, price_fen - gov, reason, policy.id, policy.code)


_REASON_RANK = {
    SUBSIDISED: 0, PARTLY_SUBSIDISED: 1, MONTHLY_AMOUNT_EXHAUSTED: 2,
    MONTHLY_COUNT_EXHAUSTED: 2, WEEKLY_COUNT_EXHAUSTED: 2, NOT_ELIGIBLE: 3, ITEM_NOT_COVERED: 4,
}  # fmt: skip


def best_split(
    price_fen: int,
    policies: Iterable[PolicyFacts],
    elder: ElderFacts,
    usage: Mapping[str, Usage],
    *,
    item_code: str,
    government_purchasable: bool,
) -> Split:
    """The most favourable split for the elder among the policies in force; elder pays if none.

    When nothing is paid, the most telling reason wins (an exhausted quota over "not eligible"),
    and `misses` says for every policy in force why it pays nothing.
    """
    policies = list(policies)
    splits = [
        split(
            price_fen,
            p,
            elder,
            usage.get(p.code, Usage()),
            item_code=item_code,
            government_purchasable=government_purchasable,
        )
        for p in sorted(policies, key=lambda p: (-p.priority, p.code))
    ]
    if not splits:
        return Split(0, price_fen, NO_POLICY)
    best = min(splits, key=lambda s: (-s.government_fen, _REASON_RANK.get(s.reason, 9)))
    if best.government_fen > 0:
        return best
    by_code = {p.code: p for p in policies}
    misses = tuple(_miss(by_code[s.policy_code], s) for s in splits if s.policy_code in by_code)
    return replace(best, misses=misses)


def _miss(policy: PolicyFacts, s: Split) -> Miss:
    limit = s.detail.get("limit", s.detail.get("limit_fen"))
    return Miss(
        policy.code,
        policy.name,
        policy.name_en,
        s.reason,
        tuple(s.detail.get("unmet", ())),
        int(limit) if limit is not None else None,
    )


@dataclass(frozen=True)
class Allowance:
    """What one policy an elder is eligible for still pays this month and week (None: no cap)."""

    policy: PolicyFacts
    month_left_fen: int | None
    month_left_count: int | None
    week_left_count: int | None


def _left(quota: int | None, used: int) -> int | None:
    return None if quota is None else max(0, quota - used)


def allowances(
    policies: Iterable[PolicyFacts], elder: ElderFacts, usage: Mapping[str, Usage]
) -> list[Allowance]:
    """The policies in force that cover this elder, with what is left of each quota."""
    out = []
    for p in sorted(policies, key=lambda p: (-p.priority, p.code)):
        if not eligible(p, elder):
            continue
        used = usage.get(p.code, Usage())
        out.append(
            Allowance(
                p,
                _left(p.monthly_quota_fen, used.month_fen),
                _left(p.monthly_quota_count, used.month_count),
                _left(p.weekly_quota_count, used.week_count),
            )
        )
    return out

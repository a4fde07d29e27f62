"""Pure government-purchase rules: who is eligible, for what, and how a price is split."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    """The version of each policy code in force on `day` (ended policies drop out)."""
    latest: dict[str, PolicyFacts] = {}
    for p in policies:
        if p.effective_date <= day and (
            p.code not in latest or p.effective_date > latest[p.code].effective_date
        ):
            latest[p.code] = p
    return [p for p in latest.values() if p.end_date is None or p.end_date > day]


def _clause_matches(clause: Mapping[str, Any], elder: ElderFacts) -> bool:
    groups = clause.get("special_groups")
    if groups and not elder.special_groups & set(groups):
        return False
    statuses = clause.get("economic_statuses")
    if statuses and elder.economic_status not in statuses:
        return False
    situations = clause.get("living_situations")
    if situations and elder.living_situation not in situations:
        return False
    min_age = clause.get("min_age")
    if min_age is not None and elder.age < int(min_age):
        return False
    min_level = clause.get("min_capability_level")
    return min_level is None or (
        elder.capability_level is not None and elder.capability_level >= int(min_level)
    )


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
        return elder_pays(NOT_ELIGIBLE)
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

    When nothing is paid, the most telling reason wins (an exhausted quota over "not eligible").
    """
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
    return min(splits, key=lambda s: (-s.government_fen, _REASON_RANK.get(s.reason, 9)))


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

"""Why the government pays nothing for an order, in words: policy by policy, the rule that
failed (the API's `subsidy_why`, the quote on the ordering pages, the 422 of an insisted
government purchase)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from yiyang.errors import N_, FieldProblem
from yiyang.kit.money import fen_to_yuan_str
from yiyang.orders import subsidy_rules as subsidy
from yiyang.orders.schemas import Quote, SubsidyMissRead, UnmetRead
from yiyang.registry.vocab import LABELS
from yiyang.web.i18n import translate

CONDITION_WORDS = {
    "special_groups": N_("not in the groups %(needed)s"),
    "economic_statuses": N_("economic status is %(actual)s (needs %(needed)s)"),
    "living_situations": N_("living situation is %(actual)s (needs %(needed)s)"),
    "min_age": N_("aged %(actual)s (needs %(needed)s or older)"),
    "min_capability_level": N_("capability level %(actual)s (needs %(needed)s or higher)"),
}
NO_ASSESSMENT = N_("no capability assessment (needs level %(needed)s or higher)")
REASON_WORDS = {
    subsidy.NOT_ELIGIBLE: N_("%(policy)s — not eligible: %(why)s"),
    subsidy.ITEM_NOT_COVERED: N_("%(policy)s does not cover this service"),
    subsidy.WEEKLY_COUNT_EXHAUSTED: N_(
        "%(policy)s: this week's %(limit)s subsidised orders are used up"
    ),
    subsidy.MONTHLY_COUNT_EXHAUSTED: N_(
        "%(policy)s: this month's %(limit)s subsidised orders are used up"
    ),
    subsidy.MONTHLY_AMOUNT_EXHAUSTED: N_("%(policy)s: this month's ¥%(limit)s is used up"),
}
NO_POLICY_WORDS = N_("No government-purchase policy is in force on that day.")
# The 422 of an insisted purchase speaks of the rule, not the policy (its params carry no names).
PROBLEM_WORDS = {
    "special_groups": N_("Not in a special group the policy covers."),
    "economic_statuses": N_("The elder's economic status does not qualify."),
    "living_situations": N_("The elder's living situation does not qualify."),
    "min_age": N_("Aged %(actual)s; the policy needs %(needed)s or older."),
    "min_capability_level": N_(
        "Capability level %(actual)s; the policy needs %(needed)s or higher."
    ),
    "no_assessment": N_("No capability assessment; the policy needs level %(needed)s or higher."),
    subsidy.ITEM_NOT_COVERED: N_("The policy does not cover this service."),
}


def miss_read(m: subsidy.Miss) -> SubsidyMissRead:
    """The API shape of one policy's miss."""
    return SubsidyMissRead(
        policy_code=m.policy_code,
        policy_name=m.policy_name,
        policy_name_en=m.policy_name_en,
        reason=m.reason,
        clauses=[
            [
                UnmetRead(
                    condition=u.condition,
                    required=list(u.required) if isinstance(u.required, tuple) else u.required,
                    actual=list(u.actual) if isinstance(u.actual, tuple) else u.actual,
                )
                for u in clause
            ]
            for clause in m.clauses
        ],
        limit=m.limit,
    )


def _label(locale: str, code: str) -> str:
    source = LABELS.get(code)
    return translate(locale, source) if source else code


def _any_of(locale: str, codes: Sequence[str]) -> str:
    joiner = "或" if locale == "zh_CN" else " or "
    return joiner.join(_label(locale, c) for c in codes)


def condition_words(locale: str, u: UnmetRead) -> str:
    """One failed condition as a phrase: what it needs and what the elder has."""
    if u.condition == "min_capability_level" and u.actual is None:
        return translate(locale, NO_ASSESSMENT, {"needed": u.required})
    needed = _any_of(locale, u.required) if isinstance(u.required, list) else str(u.required)
    actual = _label(locale, u.actual) if isinstance(u.actual, str) else u.actual
    template = CONDITION_WORDS.get(u.condition)
    if template is None:
        return u.condition
    return translate(locale, template, {"needed": needed, "actual": actual})


def policy_name(locale: str, name_zh: str, name_en: str | None) -> str:
    """A policy's name in the reader's language (Chinese when it has no English name)."""
    return name_en if locale != "zh_CN" and name_en else name_zh


def why(locale: str, quote: Quote) -> list[str]:
    """One sentence per policy in force that pays nothing, saying which rule failed."""
    if quote.government_fen > 0 or quote.subsidy_reason == subsidy.NOT_REQUESTED:
        return []
    if not quote.subsidy_misses:
        return [translate(locale, NO_POLICY_WORDS)]
    comma, semi = ("，", "；") if locale == "zh_CN" else (", ", "; ")
    out = []
    for m in quote.subsidy_misses:
        template = REASON_WORDS.get(m.reason)
        if template is None:
            continue
        name = policy_name(locale, m.policy_name, m.policy_name_en)
        limit: object = m.limit
        if m.reason == subsidy.MONTHLY_AMOUNT_EXHAUSTED and m.limit is not None:
            limit = fen_to_yuan_str(m.limit)
        reasons = semi.join(
            comma.join(condition_words(locale, u) for u in clause) for clause in m.clauses
        )
        out.append(translate(locale, template, {"policy": name, "why": reasons, "limit": limit}))
    return out


def problems(misses: Iterable[subsidy.Miss]) -> list[FieldProblem]:
    """The failed rules as field problems of `government_purchase` (each rule once)."""
    out: dict[str, FieldProblem] = {}
    for m in misses:
        if m.reason == subsidy.ITEM_NOT_COVERED:
            out.setdefault(m.reason, _problem(m.reason, {}))
        for clause in m.clauses:
            for u in clause:
                key = u.condition
                if key == "min_capability_level" and u.actual is None:
                    key = "no_assessment"
                params: dict[str, object] = {"needed": u.required, "actual": u.actual}
                if isinstance(u.required, int):
                    key = f"{key}:{u.required}"
                out.setdefault(key, _problem(key.split(":")[0], params))
    return list(out.values())


def _problem(key: str, params: dict[str, object]) -> FieldProblem:
    return FieldProblem("government_purchase", "not_eligible", PROBLEM_WORDS[key], params)


def worded(quote: Quote, locale: str) -> Quote:
    """The quote with `subsidy_why` in the reader's language."""
    return quote.model_copy(update={"subsidy_why": why(locale, quote)})

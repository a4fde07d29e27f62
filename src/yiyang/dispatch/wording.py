"""Dispatch explanations and reason codes in the reader's language.

Decisions store their explanation as lines (planner.explain) and reasons as codes; this is
where they become words, when a page or an API response is made for someone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from yiyang.errors import N_
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.page_helpers import ALERT_LABELS, QUEUE_REASON_LABELS, TIER_LABELS
from yiyang.planner.explain import (
    HEAD_COUNTED,
    LEGACY_HEAD,
    LEGACY_TALLY,
    REASONS,
    SKILLS,
    TALLY,
    TIERS,
)
from yiyang.planner.feasibility import BUSY, CAPACITY, SHIFT, SKILL
from yiyang.registry.vocab import LABELS
from yiyang.web.i18n import plural, translate

# Why one caregiver cannot take an order (the candidate picker).
FIT_LABELS: dict[str, str] = {
    BUSY: N_("Busy at that time"),
    SHIFT: N_("Not on shift then"),
    CAPACITY: N_("Day fully booked"),
    SKILL: N_("Lacks the skills"),
}
# Reasons the platform writes on an order's timeline.
EVENT_REASON_LABELS: dict[str, str] = (
    QUEUE_REASON_LABELS
    | ALERT_LABELS
    | {
        "offer_expired": N_("The offer expired"),
        "day_plan": N_("Re-planned with the day's other visits"),
    }
)
VOCABULARIES: Mapping[str, Mapping[str, str]] = {
    SKILLS: LABELS,
    TIERS: TIER_LABELS,
    REASONS: FIT_LABELS,
}
_LIST_SEPARATOR = {"zh_CN": "、"}
_SENTENCE_END = {"zh_CN": "。"}
_ENDINGS = (".", "。", "!", "！", "?", "？")


def _reworded(template: str, plural_of: str | None = None) -> Any:
    """Read a line stored in older words with the template that replaced it (same params)."""

    def apply(row: Mapping[str, Any]) -> Mapping[str, Any]:
        new = {**row, "t": template}
        return new | {"pl": plural_of, "n": "times"} if plural_of else new

    return apply


# Lines decisions stored before they were worded for plurals, and how they read now.
REWORDED = {
    LEGACY_TALLY: _reworded(TALLY),
    LEGACY_HEAD: _reworded(HEAD_COUNTED[0], HEAD_COUNTED[1]),
}


def label(locale: str, vocab: str, code: str) -> str:
    """The label of a code in a vocabulary, or the code itself when it has none."""
    source = VOCABULARIES.get(vocab, {}).get(code)
    return translate(locale, source) if source else code


def reason_label(locale: str, code: str | None) -> str | None:
    """A reason code the platform wrote, in words; free text people wrote stays as it is."""
    if code is None:
        return None
    source = EVENT_REASON_LABELS.get(code)
    return translate(locale, source) if source else code


def _param(locale: str, value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "msg" in value:
        return translate(locale, str(value["msg"]))
    if "codes" in value:
        words = (label(locale, str(value.get("vocab")), str(c)) for c in value["codes"])
        return _LIST_SEPARATOR.get(locale, ", ").join(words)
    if "time" in value:
        return datetime.fromisoformat(str(value["time"])).astimezone(CHINA_TZ).strftime("%H:%M")
    return value


def sentence(locale: str, row: Mapping[str, Any]) -> str:
    """One stored line ({"t": template, "p": params}) as a sentence in the locale."""
    row = REWORDED.get(str(row.get("t", "")), lambda r: r)(row)
    params = {k: _param(locale, v) for k, v in (row.get("p") or {}).items()}
    if row.get("pl") and row.get("n") in params:
        text = plural(locale, str(row["t"]), str(row["pl"]), params[str(row["n"])], params)
    else:
        text = translate(locale, str(row.get("t", "")), params)
    return text if text.endswith(_ENDINGS) else text + _SENTENCE_END.get(locale, ".")


def sentences(locale: str, rows: Iterable[Mapping[str, Any]] | None) -> list[str]:
    """Every stored line as a sentence in the locale."""
    return [sentence(locale, row) for row in rows or ()]


def explanation(locale: str, rows: Iterable[Mapping[str, Any]] | None) -> str:
    """The whole explanation as one paragraph in the locale."""
    return ("" if locale == "zh_CN" else " ").join(sentences(locale, rows))

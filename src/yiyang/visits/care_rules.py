"""Pure rules of aftercare: a complaint's steps, the return-visit sample and call results."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from yiyang.errors import N_


class ComplaintStatus(StrEnum):
    """Where a complaint stands."""

    OPEN = "open"
    ASSIGNED = "assigned"
    RESPONDED = "responded"
    CLOSED = "closed"


class ComplaintAction(StrEnum):
    """One step of handling, recorded with who and when."""

    FILE = "file"
    ASSIGN = "assign"
    RESPOND = "respond"
    CLOSE = "close"


class Outcome(StrEnum):
    """How a complaint ended (the fixed list a district reports on)."""

    UPHELD_FIXED = "upheld_fixed"
    UPHELD_COMPENSATED = "upheld_compensated"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"
    WITHDRAWN = "withdrawn"
    REFERRED = "referred"


S, A = ComplaintStatus, ComplaintAction
# action → (statuses it may start from, status it leads to)
MOVES: dict[ComplaintAction, tuple[frozenset[str], ComplaintStatus]] = {
    A.ASSIGN: (frozenset({S.OPEN, S.ASSIGNED, S.RESPONDED}), S.ASSIGNED),
    A.RESPOND: (frozenset({S.OPEN, S.ASSIGNED}), S.RESPONDED),
    A.CLOSE: (frozenset({S.OPEN, S.ASSIGNED, S.RESPONDED}), S.CLOSED),
}
REFUSALS = {
    S.CLOSED: N_("This complaint is closed; nothing more can be done to it."),
    S.RESPONDED: N_("This complaint has been answered already; close it or assign it again."),
}


def next_status(status: str, action: ComplaintAction) -> ComplaintStatus | None:
    """The status after `action`, or None when the complaint cannot take that step now."""
    starts, to = MOVES[action]
    return to if status in starts else None


def refusal(status: str) -> str:
    """Why no step fits a complaint in `status` (a translatable message)."""
    return REFUSALS.get(ComplaintStatus(status), N_("That step does not fit this complaint now."))


class CallResult(StrEnum):
    """What came of one return-visit call."""

    REACHED = "reached"
    NOT_REACHED = "not_reached"
    CALL_BACK = "call_back"  # reached, asked to be called later
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"


# Results after which the elder is tried again the next day (until MAX_ATTEMPTS).
RETRY = frozenset({CallResult.NOT_REACHED, CallResult.CALL_BACK})
MAX_ATTEMPTS = 3


def call_done(result: CallResult, attempts: int) -> bool:
    """Whether the call-back is finished after this result (`attempts` including this one)."""
    return result not in RETRY or attempts >= MAX_ATTEMPTS


def _rank(day: date, order_id: int) -> str:
    return hashlib.sha256(f"{day.isoformat()}:{order_id}".encode()).hexdigest()


def sample_size(candidates: int, share_percent: int, daily_max: int) -> int:
    """How many of a day's completed visits get a call-back: the share, rounded up, capped."""
    if candidates <= 0 or share_percent <= 0 or daily_max <= 0:
        return 0
    return min(daily_max, candidates, math.ceil(candidates * share_percent / 100))


def sample(
    order_ids: Iterable[int], day: date, share_percent: int, daily_max: int, already: int = 0
) -> list[int]:
    """The orders of `day` to call back: the same day gives the same choice (a hash of the day
    and the order), and `already` sampled ones count against the size."""
    ids = sorted(set(order_ids))
    size = sample_size(len(ids) + already, share_percent, daily_max) - already
    return sorted(ids, key=lambda i: _rank(day, i))[: max(0, size)]

"""Pure rules of paying for a visit: supervision flags, payability, settlement sums.

A visit is paid with public money only when its facts hold: it was checked in and out, at
the elder's home (or a QR card proved the place), at a plausible time and for a plausible
length, and nobody disputes it. Otherwise it waits in the exceptions queue until a street
or district reviewer approves it with a reason. Decisions taken here (docs/payability.md):

- Hand-typed times (a manual correction, with its listed reason) are an explanation, not
  evidence: the visit still needs a reviewer's approval before it is paid.
- Poor GPS accuracy alone does not block: the fix could lie inside the fence. Outside the
  fence, or no position at all (and no QR card), does.
- A short visit with a reason from the list is explained, except "the elder was not at
  home": no service was delivered, so it is never paid without a reviewer.
- An open complaint, or a one-star rating (the lowest score: "not done"), is a dispute.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from yiyang.errors import N_
from yiyang.visits.rules import GeofenceFlag, VisitPolicy, min_visit_minutes


class Reason(StrEnum):
    """Why a visit is flagged or cannot be paid as it stands."""

    NOT_CHECKED_IN = "not_checked_in"
    NOT_CHECKED_OUT = "not_checked_out"
    OUTSIDE_GEOFENCE = "outside_geofence"
    NO_POSITION = "no_position"
    EARLY_ARRIVAL = "early_arrival"
    SHORT_VISIT = "short_visit"
    SHORT_NO_REASON = "short_no_reason"
    ELDER_NOT_HOME = "elder_not_home"
    MANUAL_TIMES = "manual_times"
    OPEN_COMPLAINT = "open_complaint"
    RATED_NOT_DONE = "rated_not_done"
    REJECTED = "rejected"
    ASKED_PROVIDER = "asked_provider"


REASON_LABELS: dict[str, str] = {
    Reason.NOT_CHECKED_IN: N_("Never checked in"),
    Reason.NOT_CHECKED_OUT: N_("Never checked out"),
    Reason.OUTSIDE_GEOFENCE: N_("Checked in or out outside the elder's geofence"),
    Reason.NO_POSITION: N_("No position at check-in or check-out"),
    Reason.EARLY_ARRIVAL: N_("Checked in long before the time window"),
    Reason.SHORT_VISIT: N_("Much shorter than the service's standard time"),
    Reason.SHORT_NO_REASON: N_("Under 30 minutes without a reason"),
    Reason.ELDER_NOT_HOME: N_("The elder was not at home"),
    Reason.MANUAL_TIMES: N_("Times typed in by hand"),
    Reason.OPEN_COMPLAINT: N_("An open complaint about this visit"),
    Reason.RATED_NOT_DONE: N_("Rated one star: the family says it was not done"),
    Reason.REJECTED: N_("A reviewer rejected payment"),
    Reason.ASKED_PROVIDER: N_("Waiting for the provider's explanation"),
}


class Decision(StrEnum):
    """What a reviewer decides about an unpayable visit (or the provider's answer)."""

    APPROVE = "approve"
    REJECT = "reject"
    ASK = "ask"  # ask the provider to explain
    ANSWER = "answer"  # the provider's explanation


REVIEWER_DECISIONS = (Decision.APPROVE, Decision.REJECT, Decision.ASK)


@dataclass(frozen=True)
class VisitFacts:
    """What supervision knows about one delivered visit, as plain values."""

    window_start_at: datetime
    check_in_at: datetime | None
    check_out_at: datetime | None
    standard_minutes: int | None
    check_in_flag: str | None = None
    check_out_flag: str | None = None
    short_reason: str | None = None
    manual: bool = False
    open_complaints: int = 0
    rating_score: int | None = None

    @property
    def minutes(self) -> int | None:
        """Whole minutes between check-in and check-out."""
        if self.check_in_at is None or self.check_out_at is None:
            return None
        return int((self.check_out_at - self.check_in_at).total_seconds() // 60)


def is_early(window_start: datetime, checked_in_at: datetime, policy: VisitPolicy) -> bool:
    """More than the margin before the window opened."""
    return checked_in_at < window_start - policy.early_margin


def is_short(minutes: int, standard_minutes: int | None, policy: VisitPolicy) -> bool:
    """Under the configured share of the catalog item's standard minutes."""
    return bool(standard_minutes) and minutes < (standard_minutes or 0) * policy.short_share


def visit_flags(facts: VisitFacts, policy: VisitPolicy = VisitPolicy()) -> list[Reason]:
    """Supervision flags of a visit, in a fixed order (each a reason code)."""
    flags: list[Reason] = []
    if facts.check_in_at is None:
        return [Reason.NOT_CHECKED_IN]
    if facts.check_out_at is None:
        flags.append(Reason.NOT_CHECKED_OUT)
    checks = (facts.check_in_flag, facts.check_out_flag)
    if GeofenceFlag.OUTSIDE in checks:
        flags.append(Reason.OUTSIDE_GEOFENCE)
    elif GeofenceFlag.NO_POSITION in checks:
        flags.append(Reason.NO_POSITION)
    if is_early(facts.window_start_at, facts.check_in_at, policy):
        flags.append(Reason.EARLY_ARRIVAL)
    minutes = facts.minutes
    if minutes is not None:
        if facts.short_reason == "elder_not_home":
            flags.append(Reason.ELDER_NOT_HOME)
        elif is_short(minutes, facts.standard_minutes, policy) and not facts.short_reason:
            flags.append(Reason.SHORT_VISIT)
        if minutes < min_visit_minutes(facts.standard_minutes, policy) and not facts.short_reason:
            flags.append(Reason.SHORT_NO_REASON)
    if facts.manual:
        flags.append(Reason.MANUAL_TIMES)
    if facts.open_complaints:
        flags.append(Reason.OPEN_COMPLAINT)
    if facts.rating_score == 1:
        flags.append(Reason.RATED_NOT_DONE)
    return flags


@dataclass(frozen=True)
class Payability:
    """Whether a visit may be paid, why not, and whether a reviewer's approval carried it."""

    payable: bool
    reasons: tuple[Reason, ...]
    approved: bool = False

    @property
    def words(self) -> list[str]:
        """The reasons as translatable source strings (translate at the edge)."""
        return [REASON_LABELS[r] for r in self.reasons]


def payability(
    facts: VisitFacts, last_decision: str | None = None, policy: VisitPolicy = VisitPolicy()
) -> Payability:
    """Payable when the facts hold, or when the last reviewer decision approved the exception.

    `last_decision` is the newest review of the visit (approve, reject, ask or the provider's
    answer); an approval carries the visit whatever its flags; otherwise the flags stand and a
    rejection or a pending question is added to them.
    """
    reasons = visit_flags(facts, policy)
    if last_decision == Decision.APPROVE:
        return Payability(True, tuple(reasons), approved=bool(reasons))
    if not reasons:
        return Payability(True, ())
    if last_decision == Decision.REJECT:
        reasons.append(Reason.REJECTED)
    elif last_decision == Decision.ASK:
        reasons.append(Reason.ASKED_PROVIDER)
    return Payability(False, tuple(reasons))


def state_of(pay: Payability, last_decision: str | None) -> str:
    """Where a delivered visit stands: payable, approved, asked, rejected or open."""
    if pay.payable:
        return "approved" if pay.approved else "payable"
    states: dict[str, str] = {Decision.ASK: "asked", Decision.REJECT: "rejected"}
    return states.get(last_decision or "", "open")


def review_problems(decision: str, reason: str | None, *, provider: bool) -> list[tuple[str, str]]:
    """(field, code) problems of a review: a known decision for the role, and a reason text."""
    problems: list[tuple[str, str]] = []
    allowed = (Decision.ANSWER,) if provider else REVIEWER_DECISIONS
    if decision not in allowed:
        problems.append(("decision", "unknown_decision"))
    if not (reason or "").strip():
        problems.append(("reason", "required"))
    return problems


# ---------------------------------------------------------------- settlement runs


class RunStatus(StrEnum):
    """A settlement run moves draft → reviewed → closed; closed is frozen."""

    DRAFT = "draft"
    REVIEWED = "reviewed"
    CLOSED = "closed"


class RunAction(StrEnum):
    """What can be done to a run."""

    RECOMPUTE = "recompute"
    REVIEW = "review"
    CLOSE = "close"
    REOPEN = "reopen"  # reviewed back to draft, to recompute


RUN_MOVES: dict[tuple[RunStatus, RunAction], RunStatus] = {
    (RunStatus.DRAFT, RunAction.RECOMPUTE): RunStatus.DRAFT,
    (RunStatus.DRAFT, RunAction.REVIEW): RunStatus.REVIEWED,
    (RunStatus.REVIEWED, RunAction.REOPEN): RunStatus.DRAFT,
    (RunStatus.REVIEWED, RunAction.CLOSE): RunStatus.CLOSED,
}


def run_move(status: str, action: str) -> RunStatus | None:
    """Where an action takes a run, or None when it is not allowed from its status."""
    try:
        return RUN_MOVES.get((RunStatus(status), RunAction(action)))
    except ValueError:
        return None


class LineKind(StrEnum):
    """A line of a run: a paid visit, an excluded exception, or a correction of a past month."""

    VISIT = "visit"
    EXCLUDED = "excluded"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True)
class LineMoney:
    """The money of one line (fen); excluded lines carry their price but count for nothing."""

    kind: str
    price_fen: int
    government_fen: int
    elder_fen: int


@dataclass(frozen=True)
class RunTotals:
    """What a run adds up to: paid lines and adjustments; excluded lines only counted."""

    count: int
    total_fen: int
    government_fen: int
    elder_fen: int
    excluded: int


def totals(lines: Iterable[LineMoney]) -> RunTotals:
    """The run's totals from its lines (the page, the workbook and the stored run agree)."""
    count = total = gov = elder = excluded = 0
    for line in lines:
        if line.kind == LineKind.EXCLUDED:
            excluded += 1
            continue
        count += 1 if line.kind == LineKind.VISIT else 0
        total += line.price_fen
        gov += line.government_fen
        elder += line.elder_fen
    return RunTotals(count, total, gov, elder, excluded)


def adjustment_sign(paid_before: bool, payable_now: bool) -> int:
    """+1: left out of a closed month and payable now; -1: paid then and no longer payable."""
    if payable_now and not paid_before:
        return 1
    if paid_before and not payable_now:
        return -1
    return 0


def yuan(fen: int) -> str:
    """'¥1,234.50' (negative amounts '-¥12.00')."""
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{abs(fen) / 100:,.2f}"


def previous_month(month: str) -> str:
    """'2026-01' → '2025-12'."""
    year, mon = (int(x) for x in month.split("-"))
    return f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"


def next_month(month: str) -> str:
    """'2026-12' → '2027-01'."""
    year, mon = (int(x) for x in month.split("-"))
    return f"{year + (mon == 12)}-{mon % 12 + 1:02d}"


def reason_codes(values: Sequence[str]) -> list[Reason]:
    """Stored reason codes back as Reasons (unknown ones dropped)."""
    return [Reason(v) for v in values if v in set(Reason)]

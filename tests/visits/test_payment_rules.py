"""Pure payability rules: flags, payable or not and why, review input, run moves, totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yiyang.visits import rules
from yiyang.visits.payment import rules as pay
from yiyang.visits.payment.rules import Decision, LineKind, LineMoney, Reason, VisitFacts
from yiyang.web.i18n import translate

START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in China
POLICY = rules.VisitPolicy()


def facts(**kw: object) -> VisitFacts:
    """A bath (90 standard minutes) checked in at the window start and out 80 minutes later."""
    values: dict[str, object] = {
        "window_start_at": START,
        "check_in_at": START + timedelta(minutes=5),
        "check_out_at": START + timedelta(minutes=85),
        "standard_minutes": 90,
    }
    values.update(kw)
    return VisitFacts(**values)  # type: ignore[arg-type]


def test_a_visit_whose_facts_hold_is_payable() -> None:
    result = pay.payability(facts())
    assert result.payable and result.reasons == () and not result.approved


def test_bath_checked_in_17h_early_outside_fence_zero_minutes_is_not_payable() -> None:
    arrived = START - timedelta(hours=17)
    bath = facts(check_in_at=arrived, check_out_at=arrived, check_in_flag="outside_geofence")
    result = pay.payability(bath)
    assert not result.payable
    assert result.reasons == (
        Reason.OUTSIDE_GEOFENCE, Reason.EARLY_ARRIVAL, Reason.SHORT_VISIT, Reason.SHORT_NO_REASON,
    )  # fmt: skip


def test_the_reasons_come_in_words_in_both_languages() -> None:
    words = pay.payability(facts(check_in_at=START - timedelta(hours=17))).words
    assert translate("en", words[0]) == "Checked in long before the time window"
    assert translate("zh_CN", words[0]) != words[0]


def test_early_only_beyond_the_margin() -> None:
    assert pay.payability(facts(check_in_at=START - timedelta(minutes=59))).payable
    late = pay.payability(facts(check_in_at=START - timedelta(minutes=61)))
    assert late.reasons == (Reason.EARLY_ARRIVAL,)


def test_margin_is_configurable() -> None:
    strict = rules.VisitPolicy(early_margin=timedelta(minutes=10))
    result = pay.payability(facts(check_in_at=START - timedelta(minutes=20)), None, strict)
    assert Reason.EARLY_ARRIVAL in result.reasons


def test_short_under_share_of_standard_without_reason_is_not_payable() -> None:
    out = START + timedelta(minutes=44)  # 39 min of 90: under half
    assert pay.payability(facts(check_out_at=out)).reasons == (Reason.SHORT_VISIT,)


def test_short_with_a_listed_reason_is_explained() -> None:
    out = START + timedelta(minutes=25)
    assert pay.payability(facts(check_out_at=out, short_reason="tasks_done")).payable


def test_elder_not_home_is_never_paid_without_a_reviewer() -> None:
    out = START + timedelta(minutes=10)
    result = pay.payability(facts(check_out_at=out, short_reason="elder_not_home"))
    assert result.reasons == (Reason.ELDER_NOT_HOME,)


def test_under_30_minutes_without_reason_for_a_short_service() -> None:
    # A 40-minute service lasting 22 minutes: not under half, but under 30 with no reason.
    result = pay.payability(facts(standard_minutes=40, check_out_at=START + timedelta(minutes=27)))
    assert result.reasons == (Reason.SHORT_NO_REASON,)


def test_missing_check_in_or_out() -> None:
    assert pay.visit_flags(facts(check_in_at=None, check_out_at=None)) == [Reason.NOT_CHECKED_IN]
    assert pay.visit_flags(facts(check_out_at=None)) == [Reason.NOT_CHECKED_OUT]


def test_no_position_blocks_but_poor_accuracy_does_not() -> None:
    assert pay.visit_flags(facts(check_out_flag="no_position")) == [Reason.NO_POSITION]
    assert pay.payability(facts(check_in_flag="poor_accuracy")).payable


def test_hand_typed_times_need_a_reviewer() -> None:
    assert pay.payability(facts(manual=True)).reasons == (Reason.MANUAL_TIMES,)


def test_open_complaint_or_one_star_is_a_dispute() -> None:
    assert pay.payability(facts(open_complaints=1)).reasons == (Reason.OPEN_COMPLAINT,)
    assert pay.payability(facts(rating_score=1)).reasons == (Reason.RATED_NOT_DONE,)
    assert pay.payability(facts(rating_score=2)).payable


def test_an_approved_exception_is_payable_and_says_so() -> None:
    result = pay.payability(facts(manual=True), Decision.APPROVE)
    assert result.payable and result.approved and result.reasons == (Reason.MANUAL_TIMES,)


def test_rejected_and_asked_stay_unpayable_with_the_decision_named() -> None:
    assert pay.payability(facts(manual=True), Decision.REJECT).reasons[-1] is Reason.REJECTED
    asked = pay.payability(facts(manual=True), Decision.ASK)
    assert asked.reasons[-1] is Reason.ASKED_PROVIDER
    answered = pay.payability(facts(manual=True), Decision.ANSWER)
    assert not answered.payable and answered.reasons == (Reason.MANUAL_TIMES,)


def test_a_rejection_of_a_clean_visit_does_not_block_it() -> None:
    assert pay.payability(facts(), Decision.REJECT).payable


def test_review_needs_a_known_decision_and_a_reason() -> None:
    assert pay.review_problems("approve", "checked by phone", provider=False) == []
    assert pay.review_problems("approve", "  ", provider=False) == [("reason", "required")]
    assert pay.review_problems("answer", "x", provider=False) == [("decision", "unknown_decision")]
    assert pay.review_problems("approve", "x", provider=True) == [("decision", "unknown_decision")]
    assert pay.review_problems("answer", "x", provider=True) == []


@pytest.mark.parametrize(
    ("status", "action", "to"),
    [
        ("draft", "recompute", "draft"),
        ("draft", "review", "reviewed"),
        ("reviewed", "close", "closed"),
        ("reviewed", "reopen", "draft"),
        ("draft", "close", None),
        ("closed", "recompute", None),
        ("closed", "close", None),
        ("bogus", "close", None),
    ],
)
def test_run_moves(status: str, action: str, to: str | None) -> None:
    assert pay.run_move(status, action) == to


def test_totals_count_paid_and_adjustments_not_excluded() -> None:
    lines = [
        LineMoney(LineKind.VISIT, 8000, 8000, 0),
        LineMoney(LineKind.VISIT, 3000, 1500, 1500),
        LineMoney(LineKind.EXCLUDED, 8000, 8000, 0),
        LineMoney(LineKind.ADJUSTMENT, -3000, -1500, -1500),
    ]
    t = pay.totals(lines)
    assert (t.count, t.total_fen, t.government_fen, t.elder_fen, t.excluded) == (
        2, 8000, 8000, 0, 1,
    )  # fmt: skip


def test_adjustment_sign_and_months_and_money() -> None:
    assert pay.adjustment_sign(False, True) == 1
    assert pay.adjustment_sign(True, False) == -1
    assert pay.adjustment_sign(True, True) == 0
    assert pay.next_month("2026-12") == "2027-01"
    assert pay.previous_month("2026-01") == "2025-12"
    assert pay.yuan(123450) == "¥1,234.50"
    assert pay.yuan(-1200) == "-¥12.00"


def test_punctuality_is_never_on_time_before_the_visit() -> None:
    assert rules.punctuality(START, None, START - timedelta(hours=3)) == "upcoming"
    assert rules.punctuality(START, None, START + timedelta(minutes=5)) == "expected"
    assert rules.punctuality(START, START - timedelta(hours=17), START) == "early"
    assert rules.punctuality(START, START - timedelta(minutes=20), START) == "on_time"

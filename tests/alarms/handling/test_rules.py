"""Pure rules of handling an alarm: actions per state, dispositions, call order, risk, figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from yiyang.alarms.handling import rules
from yiyang.alarms.handling.rules import Action as A
from yiyang.alarms.handling.rules import Callee, Disposition
from yiyang.alarms.kinds import NEEDS_A_PERSON, AlarmStatus, AlarmType
from yiyang.errors import Conflict, Invalid

S = AlarmStatus
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def test_the_happy_path_from_queued_to_reviewed() -> None:
    status = S.QUEUED
    for action in (
        A.ACKNOWLEDGE,
        A.CALL,
        A.LOG_CALL,
        A.RESPOND,
        A.NOTE,
        A.RESOLVE,
        A.CLOSE,
        A.REVIEW,
    ):
        status = rules.transition(status, action)
    assert status == S.CLOSED


@pytest.mark.parametrize(("status", "action"), sorted(rules.TRANSITIONS))
def test_every_legal_move(status: S, action: A) -> None:
    assert rules.transition(status, action) == rules.TRANSITIONS[(status, action)]


@pytest.mark.parametrize(
    ("status", "action"), [(s, a) for s in S for a in A if (s, a) not in rules.TRANSITIONS]
)
def test_every_illegal_move_is_refused_with_a_code_and_words(status: S, action: A) -> None:
    with pytest.raises(rules.NotAllowed) as err:
        rules.transition(status, action)
    assert err.value.status_code == 409
    assert err.value.code and err.value.message


def test_a_queued_alarm_must_be_acknowledged_before_anything_but_a_note() -> None:
    assert rules.allowed(S.QUEUED) == [A.ACKNOWLEDGE, A.NOTE]
    for action in (A.CALL, A.CALL_120, A.RESOLVE, A.CLOSE, A.RESPOND):
        with pytest.raises(rules.NotAllowed) as err:
            rules.transition(S.QUEUED, action)
        assert "Acknowledge" in err.value.message


def test_a_closed_alarm_takes_only_a_review() -> None:
    assert rules.allowed(S.CLOSED) == [A.REVIEW]
    with pytest.raises(rules.NotAllowed) as err:
        rules.transition(S.ACKNOWLEDGED, A.REVIEW)
    assert err.value.code == "not_closed"


def test_acknowledging_twice_says_so() -> None:
    with pytest.raises(rules.NotAllowed) as err:
        rules.transition(S.RESPONDING, A.ACKNOWLEDGE)
    assert err.value.code == "already_acknowledged"


def test_calls_and_120_move_to_responding_resolve_waits_for_the_disposition() -> None:
    assert rules.transition(S.ACKNOWLEDGED, A.CALL) == S.RESPONDING
    assert rules.transition(S.ACKNOWLEDGED, A.CALL_120) == S.RESPONDING
    assert rules.transition(S.RESPONDING, A.RESOLVE) == S.RESOLVED
    assert rules.transition(S.RESOLVED, A.CALL) == S.RESOLVED  # telling the family afterwards
    with pytest.raises(rules.NotAllowed) as err:
        rules.transition(S.RESOLVED, A.RESOLVE)
    assert err.value.code == "already_resolved"


def test_unknown_status_or_action() -> None:
    with pytest.raises(rules.NotAllowed):
        rules.transition("nonsense", "acknowledge")
    with pytest.raises(rules.NotAllowed):
        rules.transition(S.QUEUED, "dance")


def test_another_operators_alarm() -> None:
    rules.acknowledge_conflict(None, "—", 5)
    rules.acknowledge_conflict(5, "张", 5)
    with pytest.raises(Conflict) as err:
        rules.acknowledge_conflict(4, "张敏", 5)
    assert err.value.code == "acknowledged_by_another" and "张敏" in str(err.value)
    with pytest.raises(Conflict) as held:
        rules.holder_check(A.CLOSE, 4, "张敏", 5, supervisor=False)
    assert held.value.code == "held_by_another"
    rules.holder_check(A.CLOSE, 4, "张敏", 5, supervisor=True)
    rules.holder_check(A.NOTE, 4, "张敏", 5, supervisor=False)


def test_closing_needs_a_code_from_the_list() -> None:
    with pytest.raises(Invalid) as none:
        rules.check_close(AlarmType.SOS, None, None, cleared=False)
    assert none.value.field == "disposition" and none.value.status_code == 422
    with pytest.raises(Invalid) as unknown:
        rules.check_close(AlarmType.SOS, "bored", None, cleared=False)
    assert unknown.value.code == "disposition_unknown"
    with pytest.raises(Invalid) as other:
        rules.check_close(AlarmType.SOS, "other", " ", cleared=False)
    assert other.value.field == "note"
    assert rules.check_close(AlarmType.SOS, "other", "邻居扶起", cleared=False) == "other"
    assert rules.check_close(AlarmType.FALL, "false_alarm", None, cleared=True) == "false_alarm"


def test_every_disposition_has_words() -> None:
    assert set(rules.DISPOSITION_LABELS) == set(Disposition)
    assert set(rules.CALL_RESULT_LABELS) == set(rules.CallResult)


@pytest.mark.parametrize("alarm_type", sorted(NEEDS_A_PERSON))
def test_an_alarm_a_person_must_handle_is_never_gone_by_itself(alarm_type: AlarmType) -> None:
    with pytest.raises(Invalid) as err:
        rules.check_close(alarm_type, "self_cleared", None, cleared=True)
    assert err.value.code == "not_self_cleared"


def test_gone_by_itself_only_when_the_cause_went_away() -> None:
    assert rules.check_close(AlarmType.VISIT_LATE, "self_cleared", None, cleared=True)
    with pytest.raises(Invalid):
        rules.check_close(AlarmType.VISIT_LATE, "self_cleared", None, cleared=False)


def test_key_holders_are_called_first_the_elder_last() -> None:
    people = [
        Callee("elder", None, "王秀英", None, "138", False, 0),
        Callee("contact", 3, "李华", "daughter", "137", False, 1),
        Callee("contact", 2, "李明", "son", "139", True, 2),
        Callee("contact", 4, "邻居", "neighbour", "136", True, 3),
    ]
    assert [p.name for p in rules.call_order(people)] == ["李明", "邻居", "李华", "王秀英"]


def test_escalation_only_while_nobody_took_the_alarm() -> None:
    assert rules.escalation_due(S.QUEUED, False, 0, 1)
    assert rules.escalation_due(S.QUEUED, False, 1, 2)
    assert not rules.escalation_due(S.QUEUED, False, 2, 2)  # fired already
    assert not rules.escalation_due(S.ACKNOWLEDGED, True, 0, 1)
    assert not rules.escalation_due(S.CLOSED, True, 0, 2)


def test_risk_adds_living_alone_age_and_dependence() -> None:
    today = date(2026, 12, 1)
    assert rules.risk(None, today) == 0
    young = rules.RiskFacts(living_alone=False, birth_date=date(1960, 1, 1), capability_level=0)
    assert rules.risk(young, today) == 0
    alone_82 = rules.RiskFacts(
        living_alone=True, birth_date=date(1944, 6, 1), capability_level=None
    )
    assert rules.risk(alone_82, today) == 4
    dependent_91 = rules.RiskFacts(
        living_alone=True, birth_date=date(1935, 1, 1), capability_level=4
    )
    assert rules.risk(dependent_91, today) == 9
    # 80 on the birthday, not the day before
    assert rules.age_on(date(1946, 12, 1), today) == 80
    assert rules.age_on(date(1946, 12, 2), today) == 79


def test_the_queue_sorts_by_severity_then_active_then_risk_then_waiting() -> None:
    rows = {
        "old_major": (3, 9, NOW - timedelta(minutes=9), False),
        "sos_low_risk": (4, 0, NOW - timedelta(minutes=1), False),
        "sos_high_risk": (4, 6, NOW, False),
        "sos_cleared": (4, 9, NOW - timedelta(minutes=20), True),
        "sos_high_risk_older": (4, 6, NOW - timedelta(seconds=30), False),
    }
    order = sorted(rows, key=lambda k: rules.queue_key(*rows[k]))
    assert order == [
        "sos_high_risk_older", "sos_high_risk", "sos_low_risk", "sos_cleared", "old_major",
    ]  # fmt: skip


def test_answer_time_compliance_counts_a_fresh_alarm_only_once_answered() -> None:
    s = timedelta(seconds=1)
    alarms = [
        (NOW - 600 * s, NOW - 590 * s),  # 10 s
        (NOW - 600 * s, NOW - 500 * s),  # 100 s: late for 60, in time for 180
        (NOW - 600 * s, None),  # never: late for both
        (NOW - 100 * s, None),  # 100 s waiting: a miss for 60, not yet for 180
        (NOW - 10 * s, None),  # fresh: not counted
    ]
    within_60, within_180 = rules.compliance(alarms, NOW)
    assert (within_60.answered, within_60.counted) == (1, 4)
    assert (within_180.answered, within_180.counted) == (2, 3)
    assert within_60.target == 0.985 and within_180.target == 0.995
    assert within_60.share == 0.25 and within_60.met is False
    assert rules.compliance([], NOW)[0].share is None and rules.compliance([], NOW)[0].met is None

"""Pure rules of sending a responder: nearest on duty, who is skipped and why, arrival."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yiyang.alarms.response import rules
from yiyang.alarms.response.rules import CAREGIVER, COMMUNITY_STAFF, Move, Person, State
from yiyang.errors import Conflict, Invalid
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import Point, Window

NOW = datetime(2026, 12, 1, 4, 3, tzinfo=UTC)  # 12:03 in Zhengzhou
HOME = Point(34.7800, 113.6600)
SHIFT = (Window(NOW - timedelta(hours=3), NOW + timedelta(hours=5)),)
COMMUNITY, OTHER = 11, 12


def person(
    key: str,
    at: Point | None,
    *,
    community: int = COMMUNITY,
    shifts: tuple[Window, ...] = SHIFT,
    busy: tuple[Window, ...] = (),
    user_id: int | None = 1,
    role: str = CAREGIVER,
) -> Person:
    return Person(
        key=key, name=key, role=role, staff_id=None, user_id=user_id, community_id=community,
        street_id=1, at=at, travel_mode="ebike", shifts=shifts, busy=busy,
    )  # fmt: skip


def choose(*people: Person, excluded: frozenset[str] = frozenset()) -> rules.Choice:
    return rules.choose(
        HOME, COMMUNITY, people, StraightLineTravel(), now=NOW, reach_minutes=20,
        excluded=excluded,
    )  # fmt: skip


def test_the_nearest_person_on_duty_is_asked_first_with_the_travel_time() -> None:
    near = person("near", Point(34.7820, 113.6620))  # ~300 m
    far = person("far", Point(34.8000, 113.6900))  # ~3.5 km
    choice = choose(far, near)
    assert [o.person.key for o in choice.offers] == ["near", "far"]
    assert choice.offers[0].minutes == 3  # the planner's minimum
    assert choice.offers[1].minutes > choice.offers[0].minutes
    assert choice.offers[0].reasons == ("same_community",)


def test_someone_off_duty_or_in_a_visit_is_skipped_with_the_reason() -> None:
    off = person(
        "off",
        Point(34.7801, 113.6601),
        shifts=(Window(NOW + timedelta(hours=1), NOW + timedelta(hours=2)),),
    )
    visiting = person(
        "busy",
        Point(34.7801, 113.6601),
        busy=(Window(NOW - timedelta(minutes=10), NOW + timedelta(minutes=20)),),
    )
    no_phone = person("nophone", Point(34.7801, 113.6601), user_id=None)
    free = person("free", Point(34.79, 113.67))
    choice = choose(off, visiting, no_phone, free)
    assert [o.person.key for o in choice.offers] == ["free"]
    assert choice.rejected == {"off_duty": 1, "busy": 1, "no_account": 1}


def test_a_shift_that_ended_a_minute_ago_is_off_duty() -> None:
    ended = person(
        "ended", HOME, shifts=(Window(NOW - timedelta(hours=8), NOW - timedelta(minutes=1)),)
    )
    assert rules.duty_problem(ended, NOW) == "off_duty"


def test_another_community_is_asked_when_nobody_of_the_elders_is_near_or_on_duty() -> None:
    local_far = person("local_far", Point(34.95, 113.85))  # > 20 min away
    other_near = person("other_near", Point(34.7850, 113.6650), community=OTHER)
    choice = choose(local_far, other_near)
    assert [o.person.key for o in choice.offers] == ["other_near", "local_far"]
    assert choice.offers[0].reasons == ("other_community",)
    only_other = choose(person("x", HOME, shifts=()), other_near)
    assert [o.person.key for o in only_other.offers] == ["other_near"]


def test_a_local_person_within_reach_comes_before_a_nearer_one_of_another_community() -> None:
    local = person("local", Point(34.7900, 113.6700), role=COMMUNITY_STAFF)
    other = person("other", Point(34.7805, 113.6605), community=OTHER)
    assert [o.person.key for o in choose(other, local).offers] == ["local", "other"]


def test_people_asked_before_are_not_asked_again_and_unknown_places_rank_late() -> None:
    unknown = person("unknown", None)
    near = person("near", HOME)
    choice = choose(unknown, near, excluded=frozenset({"near"}))
    assert [o.person.key for o in choice.offers] == ["unknown"]
    assert choice.offers[0].minutes == 30 and "no_place" in choice.offers[0].reasons
    assert choice.rejected == {"asked_before": 1}
    assert choose(excluded=frozenset()).first is None


def test_where_a_caregiver_is_now_is_the_latest_visit_begun() -> None:
    centre, a, b = Point(1, 1), Point(2, 2), Point(3, 3)
    visits = [
        (Window(NOW - timedelta(hours=2), NOW - timedelta(hours=1)), a),
        (Window(NOW + timedelta(hours=1), NOW + timedelta(hours=2)), b),
    ]
    assert rules.where_now(centre, visits, NOW) == a
    assert rules.where_now(centre, [], NOW) == centre


def test_arrived_inside_the_geofence_needs_no_reason() -> None:
    found = rules.arrival(HOME, 150, 34.7805, 113.6600, None)
    assert found.inside and found.distance_m is not None and found.distance_m < 150
    assert found.reason is None


def test_arrived_outside_the_geofence_needs_a_reason() -> None:
    with pytest.raises(Invalid) as refused:
        rules.arrival(HOME, 150, 34.7900, 113.6600, None)
    assert refused.value.field == "reason" and "1112" in str(refused.value)
    found = rules.arrival(HOME, 150, 34.7900, 113.6600, "the elder is at her daughter's")
    assert not found.inside and found.reason == "the elder is at her daughter's"


def test_no_location_needs_a_typed_reason_and_half_a_location_is_refused() -> None:
    with pytest.raises(Invalid):
        rules.arrival(HOME, 150, None, None, "  ")
    typed = rules.arrival(HOME, 150, None, None, "at the door")
    assert typed.distance_m is None and not typed.inside and typed.reason == "at the door"
    with pytest.raises(Invalid):
        rules.arrival(HOME, 150, 34.78, None, "x")


@pytest.mark.parametrize(
    ("state", "move", "after"),
    [
        (State.SENT, Move.ACCEPT, State.ACCEPTED),
        (State.SENT, Move.ON_THE_WAY, State.ON_THE_WAY),
        (State.SENT, Move.TIME_OUT, State.TIMED_OUT),
        (State.ACCEPTED, Move.REFUSE, State.REFUSED),
        (State.ON_THE_WAY, Move.ARRIVE, State.ARRIVED),
        (State.ARRIVED, Move.REPORT, State.REPORTED),
    ],
)
def test_allowed_steps(state: State, move: Move, after: State) -> None:
    assert rules.next_state(state, move) is after


@pytest.mark.parametrize(
    ("state", "move"),
    [
        (State.SENT, Move.REPORT),
        (State.ON_THE_WAY, Move.REFUSE),
        (State.REFUSED, Move.ACCEPT),
        (State.REPORTED, Move.ARRIVE),
        (State.ACCEPTED, Move.TIME_OUT),
    ],
)
def test_steps_out_of_order_are_refused(state: State, move: Move) -> None:
    with pytest.raises(Conflict):
        rules.next_state(state, move)


def test_outcomes_and_refusals_come_from_their_lists() -> None:
    assert rules.outcome_problem("family_attended", None) is None
    assert rules.outcome_problem("other", " ") is not None
    assert rules.outcome_problem("nonsense", "x") is not None
    assert rules.refuse_problem("too_far") is None
    assert rules.refuse_problem("bored") is not None


def test_the_family_reads_which_device_raised_the_alarm() -> None:
    from yiyang.alarms.models import Alarm
    from yiyang.alarms.response.family import alarm_words, received_words

    alarm = Alarm(type="sos")
    assert alarm_words("en", alarm, "pull_cord") == "SOS call from the Pull-cord alarm"
    assert alarm_words("zh_CN", alarm, "pull_cord") == "拉绳报警器发出紧急呼叫"
    assert alarm_words("en", alarm, None) == "SOS call"
    assert received_words("en", "fall_detector") == "Received from the Fall detector"
    assert received_words("en", "not_a_kind") == "Received"

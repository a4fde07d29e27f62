"""Explanations: translatable templates with params that name the tier and the reason.

Lines are checked as stored (template, params) and as read in English and Chinese.
"""

from __future__ import annotations

from tests.planner.helpers import TRAVEL, at, cg, job, t, w
from yiyang.dispatch.wording import explanation
from yiyang.planner.assess import fit
from yiyang.planner.choose import choose
from yiyang.planner.explain import Line, explain, explain_pick


def _en(lines: list[Line]) -> str:
    return explanation("en", lines)


def test_district_winner_explains_the_widened_search() -> None:
    elder = job(community=11, street=1)
    aides = [
        cg(1, community=11, street=1, load=480),
        cg(5, community=None, street=3, home=at(4000)),
    ]
    decision = choose(elder, aides, TRAVEL)
    lines = explain(decision, names={5: "王芳"}, community="文雅社区", street="北林路街道")
    text = _en(lines)
    assert "王芳 chosen: 40 min away, 0% of the day booked." in text
    assert (
        "No free caregiver with Bathing in 文雅社区 or 北林路街道, so the search widened to the "
        "district" in text
    )
    # Templates keep their placeholders; skills are stored as codes, labelled when shown.
    assert "%(name)s" in lines[0]["t"] and lines[0]["p"]["name"] == "王芳"
    assert lines[1]["p"]["skills"] == {"vocab": "skill", "codes": ["bathing"]}
    zh = explanation("zh_CN", lines)
    assert "助浴" in zh and "Bathing" not in zh and "chosen" not in zh


def test_community_winner_says_so() -> None:
    text = _en(explain(choose(job(), [cg(1)], TRAVEL), community="文雅社区"))
    assert "own community, 文雅社区" in text


def test_unplaceable_explains_why() -> None:
    decision = choose(job(window=w("20:00", "21:00")), [cg(1), cg(2, skills={})], TRAVEL)
    text = _en(explain(decision))
    assert "No caregiver with Bathing is working at that time" in text
    assert "Caregivers checked: 1 (busy: 0, off shift: 1," in text
    assert "without the skills: 1" in text


def test_a_job_without_skills_says_so_in_the_readers_language() -> None:
    decision = choose(job(skills={}, window=w("20:00", "21:00")), [cg(1)], TRAVEL)
    lines = explain(decision)
    assert lines[0]["p"]["skills"] == {"msg": "no particular skill"}
    assert "no particular skill" in _en(lines)
    assert "no particular skill" not in explanation("zh_CN", lines)


def test_former_caregiver_from_elsewhere_is_asked_first_and_explained() -> None:
    elder = job(community=11, street=1, previous={5: 2})
    aides = [
        cg(1, community=11, street=1, home=at(800)),
        cg(5, community=None, street=3, home=at(1000)),
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 5
    assert decision.tier == "community"
    text = _en(explain(decision, names={5: "王芳"}, community="文雅社区"))
    assert "served this elder 2 times before" in text
    assert "served this elder before are asked first, with 文雅社区" in text


def test_widening_past_a_too_distant_local_aide_is_explained() -> None:
    elder = job(community=11, street=1)
    aides = [
        cg(1, community=11, street=1, home=at(2000)),  # 20 min on foot
        cg(5, community=None, street=3, mode="car", home=at(3000)),  # 3 min by car
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 5
    assert decision.tier == "district"
    text = _en(explain(decision, community="文雅社区", street="北林路街道"))
    assert "Caregivers free nearer in 文雅社区 or 北林路街道 were too far a trip" in text


def test_a_pick_says_who_picked_how_they_fit_and_the_tier_in_words() -> None:
    aide = cg(3, community=12, street=1, home=at(500))
    lines = explain_pick(fit(aide, job(), TRAVEL), name="李娜", by="调度员", reason="老人点名")
    text = _en(lines)
    assert "Assigned by hand by 调度员: 老人点名." in text
    # The start is stored as an instant and shown in China time (09:00 UTC is 17:00).
    assert "李娜 can start at 17:00, 5 min away (Same street), 0% of the day booked." in text
    assert lines[1]["p"]["start"] == {"time": t("09:00").isoformat()}
    assert lines[1]["p"]["tier"] == {"vocab": "tier", "codes": ["street"]}
    assert "同街道" in explanation("zh_CN", lines)


def test_a_busy_pick_records_the_override_and_a_refusal() -> None:
    busy = cg(3, busy=((w("08:30", "11:30"), at()),))
    lines = explain_pick(
        fit(busy, job(excluded=frozenset({3})), TRAVEL), name="李娜", by="调度员", reason="急"
    )
    text = _en(lines)
    assert "李娜 is 0 min away (Same community)." in text
    assert "李娜 is busy with another visit at that time: the dispatcher overrode that." in text
    assert "李娜 had refused this order or been unavailable for it." in text


def test_the_winner_is_named_with_centre_and_street_and_never_by_id() -> None:
    elder = job(community=11, street=1, previous={1: 1})
    decision = choose(elder, [cg(1)], TRAVEL)
    lines = explain(
        decision, names={1: "王芳"}, centres={1: ("文雅社区日间照料中心", "北林路街道")}
    )
    text = _en(lines)
    assert "王芳 of 文雅社区日间照料中心 (北林路街道) chosen" in text
    assert "served this elder 1 time before" in text and "1 times" not in text
    zh = explanation("zh_CN", lines)
    assert "文雅社区日间照料中心" in zh and "chosen" not in zh
    anonymous = _en(explain(decision))
    assert "#" not in anonymous and "a caregiver chosen" in anonymous
    assert "the elder's community" in anonymous

"""Stored explanation lines and reason codes put into words in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime

from yiyang.dispatch.wording import explanation, label, reason_label, sentence, sentences
from yiyang.planner.explain import coded, line, message, moment

CHOSEN = "%(name)s chosen: %(travel)s min away, %(load)s%% of the day booked"


def test_plain_params_fill_the_translated_template() -> None:
    row = line(CHOSEN, {"name": "王芳", "travel": "7", "load": "25"})
    assert sentence("en", row) == "王芳 chosen: 7 min away, 25% of the day booked."
    assert sentence("zh_CN", row) == "选中 王芳：路程 7 分钟，当日已排 25%。"


def test_coded_params_are_labelled_and_listed_in_the_locale() -> None:
    row = line(
        "No caregiver with %(skills)s is working at that time",
        {"skills": coded("skill", ["bathing", "nursing"])},
    )
    assert "Bathing, Nursing" in sentence("en", row)
    zh = sentence("zh_CN", row)
    assert "助浴、" in zh and "Bathing" not in zh and "working" not in zh
    assert label("zh_CN", "tier", "district") == "全区范围"
    assert label("en", "reason", "busy") == "Busy at that time"
    assert label("en", "skill", "unknown_code") == "unknown_code"


def test_message_and_time_params() -> None:
    row = line(
        "No caregiver with %(skills)s is working at that time",
        {"skills": message("no particular skill")},
    )
    assert "no particular skill" in sentence("en", row)
    assert "no particular skill" not in sentence("zh_CN", row)
    start = datetime(2026, 11, 23, 3, 30, tzinfo=UTC)
    pick = line(
        "%(name)s can start at %(start)s, %(travel)s min away (%(tier)s), "
        "%(load)s%% of the day booked",
        {"name": "李娜", "start": moment(start), "travel": "4", "tier": coded("tier", ["street"]),
         "load": "10"},
    )  # fmt: skip
    assert "at 11:30" in sentence("en", pick)  # China time
    assert "11:30" in sentence("zh_CN", pick) and "同街道" in sentence("zh_CN", pick)


def test_old_english_text_shows_as_it_was_and_a_paragraph_joins_sentences() -> None:
    old = [{"t": "王芳 chosen: 7 min away, 0% of the day booked.", "p": {}}]
    assert sentences("zh_CN", old) == ["王芳 chosen: 7 min away, 0% of the day booked."]
    rows = [line("Tied with the runner-up; the lower staff number decides"), old[0]]
    assert explanation("en", rows).startswith("Tied with the runner-up; the lower staff number")
    assert explanation("zh_CN", rows).startswith("与次优人选并列，按工号较小者确定。王芳")
    assert explanation("en", None) == ""


def test_platform_reason_codes_have_labels_and_free_text_stays() -> None:
    assert reason_label("en", "pinned_order_refused") == "The pinned caregiver refused"
    assert reason_label("en", "offer_expired") == "The offer expired"
    assert reason_label("zh_CN", "busy") != "busy"
    assert reason_label("zh_CN", "visit checked out") == "visit checked out"
    assert reason_label("en", None) is None


def test_lines_stored_in_older_words_read_in_the_new_ones() -> None:
    from yiyang.planner.explain import LEGACY_HEAD, LEGACY_TALLY

    counts = {"examined": 10, "skill": 1, "busy": 1, "shift": 0, "capacity": 0, "excluded": 0}
    tally = sentence("en", {"t": LEGACY_TALLY, "p": counts})
    assert "1 were" not in tally and "Caregivers checked: 10 (busy: 1," in tally
    head = {"name": "王芳", "travel": "7", "load": "0", "times": 1}
    assert "served this elder 1 time before" in sentence("en", {"t": LEGACY_HEAD, "p": head})
    assert "曾服务该老人 1 次" in sentence("zh_CN", {"t": LEGACY_HEAD, "p": head})

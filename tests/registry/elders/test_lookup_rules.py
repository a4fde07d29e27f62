"""Which searches are exact ID-number lookups, and when one is allowed again (pure)."""

from datetime import UTC, datetime, timedelta

from yiyang.registry.elders.rules import LOOKUP_WINDOW, id_lookup, lookup_allowed_again

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_only_a_whole_id_number_is_a_lookup() -> None:
    assert id_lookup("410105 19480517002x") == "41010519480517002X"
    assert id_lookup("410105480517002") == "410105480517002"  # the old 15-digit form
    for q in ("王秀英", "1380000", "41010519480517", "4101051948051700２X", "", None):
        assert id_lookup(q) is None, q
    assert id_lookup("٤١٠١٠٥١٩٤٨٠٥١٧٠٠٢X") is None  # only ASCII digits


def test_allowed_until_the_limit_then_when_the_oldest_leaves_the_window() -> None:
    times = [NOW - timedelta(minutes=m) for m in (50, 30, 10)]
    assert lookup_allowed_again(times[1:], 3, NOW) is None
    assert lookup_allowed_again(times, 3, NOW) == times[0] + LOOKUP_WINDOW
    assert lookup_allowed_again(times, 2, NOW) == times[1] + LOOKUP_WINDOW
    old = [NOW - timedelta(hours=2)] * 5
    assert lookup_allowed_again(old + times[1:], 3, NOW) is None  # outside the window

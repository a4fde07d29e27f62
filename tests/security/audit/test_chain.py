"""The hash chain alone: canonical encoding, links, and the first break a walk finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from yiyang.security.audit import chain


def record(n: int, **changes: Any) -> dict[str, Any]:
    base = {
        "id": n, "at": chain.at_text(datetime(2026, 11, 23, 1, 0, n, tzinfo=UTC)),
        "actor_id": 3, "actor_name": "admin", "actor_role": "district_admin",
        "action": "update", "entity": "elder", "entity_id": 40 + n,
        "before": {"name": "王秀英", "phone": "13800001234"}, "after": {"name": "王秀兰"},
        "ip": "127.0.0.1", "detail": None,
    }  # fmt: skip
    return base | changes


def sealed(count: int) -> list[tuple[dict[str, Any], int, str, str]]:
    """`count` records chained from the start: (record, seq, prev_hash, row_hash)."""
    rows, head = [], chain.START
    for n in range(1, count + 1):
        rec = record(n)
        digest = chain.row_hash(rec, head.seq + 1, head.row_hash)
        rows.append((rec, head.seq + 1, head.row_hash, digest))
        head = chain.Link(head.seq + 1, digest)
    return rows


def walk(rows: list[tuple[dict[str, Any], int, str, str]], **kwargs: Any) -> chain.ChainCheck:
    check = chain.ChainCheck(**kwargs)
    for rec, seq, prev, digest in rows:
        if not check.feed(rec, seq=seq, prev_hash=prev, stored_hash=digest, where="table"):
            break
    check.finish()
    return check


def test_encoding_ignores_key_order_and_keeps_unicode() -> None:
    a = record(1)
    b = dict(reversed(list(a.items())))
    b["before"] = {"phone": "13800001234", "name": "王秀英"}
    assert chain.canonical(a, 1, chain.GENESIS) == chain.canonical(b, 1, chain.GENESIS)
    assert "王秀英".encode() in chain.canonical(a, 1, chain.GENESIS)


@pytest.mark.parametrize(
    "change",
    [{"detail": "x"}, {"after": {"name": "王秀英"}}, {"actor_name": "admin2"}, {"entity_id": 1},
     {"at": chain.at_text(datetime(2026, 11, 23, 1, 0, 1, 1, tzinfo=UTC))}],
)  # fmt: skip
def test_any_change_of_content_changes_the_hash(change: dict[str, Any]) -> None:
    assert chain.row_hash(record(1), 1, chain.GENESIS) != chain.row_hash(
        record(1, **change), 1, chain.GENESIS
    )


def test_the_place_in_the_chain_is_part_of_the_hash() -> None:
    h = chain.row_hash(record(1), 1, chain.GENESIS)
    assert h != chain.row_hash(record(1), 2, chain.GENESIS)
    assert h != chain.row_hash(record(1), 1, "1" * 64)


def test_times_are_encoded_in_utc_whatever_their_zone() -> None:
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 11, 23, 9, 0, tzinfo=beijing)
    assert chain.at_text(moment) == "2026-11-23T01:00:00.000000+00:00"


def test_an_intact_chain_walks_to_its_head() -> None:
    rows = sealed(5)
    check = walk(rows)
    assert check.broken is None
    assert check.checked == 5
    assert check.head == chain.Link(5, rows[-1][3])


def test_changed_content_is_named_at_its_row() -> None:
    rows = sealed(5)
    rec, seq, prev, digest = rows[2]
    rows[2] = (rec | {"detail": "quietly edited"}, seq, prev, digest)
    broken = walk(rows).broken
    assert broken is not None
    assert (broken.reason, broken.seq, broken.row_id) == ("content", 3, 3)


def test_a_row_rehashed_after_a_change_breaks_the_next_link() -> None:
    rows = sealed(5)
    rec, seq, prev, _ = rows[2]
    forged = rec | {"detail": "edited and rehashed"}
    rows[2] = (forged, seq, prev, chain.row_hash(forged, seq, prev))
    broken = walk(rows).broken
    assert broken is not None
    assert (broken.reason, broken.seq) == ("link", 4)


def test_a_removed_row_is_a_gap() -> None:
    rows = sealed(5)
    del rows[1]
    broken = walk(rows).broken
    assert broken is not None
    assert (broken.reason, broken.seq, broken.expected) == ("gap", 3, "2")


def test_an_anchor_pins_a_known_hash() -> None:
    rows = sealed(4)
    assert walk(rows, anchors={2: rows[1][3]}).broken is None
    broken = walk(rows, anchors={2: "f" * 64}).broken
    assert broken is not None and (broken.reason, broken.seq) == ("anchor", 2)


def test_an_anchor_past_the_end_means_rows_were_cut_off() -> None:
    rows = sealed(4)
    broken = walk(rows[:2], anchors={4: rows[3][3]}).broken
    assert broken is not None and (broken.reason, broken.seq) == ("anchor", 4)

"""The last district picture kept in the database, so that a web process just started shows
a wall its picture at once instead of reading the register first (seconds at city scale).

Every aggregator writes the slow part of its picture (`picture.slow`) after each read of the
register. A new process shows the one kept today (today's orders and alarms it reads itself)
and reads the register again when the interval of the process that kept it runs out, at once
when that was long ago: the wall shows the older figures for the seconds the read takes. The
text is JSON with the picture's integer keys (street and facility ids) and tuples (the
15-minute circle's key) written out, so what comes back equals what went in.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.console.screen import kept_repository
from yiyang.kit.localtime import local_today

KEY = "district"
_INT_KEYS = "~int-keys"
_TUPLE = "~tuple"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        if value and all(isinstance(k, int) for k in value):
            return {_INT_KEYS: [[k, _plain(v)] for k, v in value.items()]}
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {_TUPLE: [_plain(v) for v in value]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, dict):
        if _INT_KEYS in value:
            return {int(k): _restored(v) for k, v in value[_INT_KEYS]}
        if _TUPLE in value:
            return tuple(_restored(v) for v in value[_TUPLE])
        return {k: _restored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restored(v) for v in value]
    return value


def encode(slow: dict[str, Any]) -> str:
    """The picture as the text kept."""
    return json.dumps(_plain(slow), separators=(",", ":"), ensure_ascii=False)


def decode(text: str) -> dict[str, Any]:
    """The picture back from its text."""
    restored = _restored(json.loads(text))
    if not isinstance(restored, dict):
        raise ValueError("a kept screen picture is a JSON object")
    return restored


def keep(session: Session, slow: dict[str, Any], now: datetime) -> None:
    """Write this picture, read at `now`, over the kept one."""
    kept_repository.write(session, KEY, now, encode(slow))


def of_today(session: Session, now: datetime) -> tuple[dict[str, Any], float]:
    """The kept picture and its age in seconds, when it was read today; otherwise an empty
    picture (and age 0)."""
    row = kept_repository.read(session, KEY)
    if row is None:
        return {}, 0.0
    taken_at, text = row
    age = (now - taken_at).total_seconds()
    if age < 0:  # kept by a process whose clock runs ahead: not to be trusted
        return {}, 0.0
    slow = decode(text)
    if slow.get("today") != local_today(now).isoformat():
        return {}, 0.0
    return slow, age

"""Scan what a page says for raw codes a person should never read.

`raw_codes(html_or_text, locale, allowed=...)` returns the offending pieces of the visible
text: `_`-joined lowercase codes (`bath_home`, `order.dispatch` is caught as a dotted code),
`#<digits>` ids, the word `UTC`, and on English pages any run of CJK characters that is not
one of the allowed strings (names and addresses the caller passes). `assert_words(...)`
fails with the list. Markup (tags, attributes, scripts, styles) is dropped first: codes in
`data-*` attributes and URLs are for machines, not for readers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_DROP = re.compile(
    r"<(script|style|template|svg)\b.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE
)
_TAG = re.compile(r"<[^>]*>")
_SNAKE = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/@-])")
_DOTTED = re.compile(r"(?<![\w./@-])[a-z]+\.[a-z_]+(?![\w/@.-])")
_HASH_ID = re.compile(r"#\d+")
_UTC = re.compile(r"\bUTC\b")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
# Dotted words that are prose or product names, not permission codes.
_DOTTED_OK = {"e.g", "i.e", "etc.", "echarts.min"}


def visible_text(page: str) -> str:
    """The text a reader sees: markup dropped, entities decoded, whitespace folded."""
    text = _TAG.sub(" ", _DROP.sub(" ", page))
    return re.sub(r"\s+", " ", html.unescape(text))


def raw_codes(page: str, locale: str = "zh_CN", allowed: Iterable[str] = ()) -> list[str]:
    """Every raw code, id, `UTC` or (in English) stray Chinese in the page's visible text."""
    text = visible_text(page)
    for known in sorted(set(allowed), key=len, reverse=True):
        if known:
            text = text.replace(known, " ")
    found = [m.group(0) for m in _SNAKE.finditer(text)]
    found += [m.group(0) for m in _DOTTED.finditer(text) if m.group(0) not in _DOTTED_OK]
    found += [m.group(0) for m in _HASH_ID.finditer(text)]
    found += [m.group(0) for m in _UTC.finditer(text)]
    if locale != "zh_CN":
        found += [m.group(0) for m in _CJK.finditer(text) if m.group(0).strip("　 ")]
    return sorted(set(found))


def assert_words(page: str, locale: str = "zh_CN", allowed: Iterable[str] = ()) -> None:
    """Fail naming each raw code, id, `UTC` or stray Chinese the page shows."""
    found = raw_codes(page, locale, allowed)
    assert not found, f"the page shows codes, not words ({locale}): {found}"

"""Locale negotiation and Babel message catalogs (zh-CN and en)."""

from __future__ import annotations

from functools import lru_cache
from gettext import NullTranslations

from babel.support import Translations
from fastapi import Request

from yiyang.config import PACKAGE_DIR

LOCALES = ("zh_CN", "en")
LOCALE_COOKIE = "yiyang_lang"
LOCALE_DIR = PACKAGE_DIR / "locale"


def normalise(tag: str | None) -> str | None:
    """Map 'zh', 'zh-CN', 'zh_Hans_CN', 'en-US'… to a supported locale, or None."""
    if not tag:
        return None
    tag = tag.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


def negotiate(request: Request, default: str) -> str:
    """Pick the locale from ?lang=, then the cookie, then Accept-Language, then the default."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LOCALE_COOKIE)):
        found = normalise(candidate)
        if found:
            return found
    header = request.headers.get("accept-language", "")
    weighted = []
    for part in header.split(","):
        lang, _, q = part.strip().partition(";q=")
        try:
            weighted.append((float(q) if q else 1.0, lang))
        except ValueError:
            continue
    for _, lang in sorted(weighted, reverse=True):
        found = normalise(lang)
        if found:
            return found
    return default


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> NullTranslations:
    """The compiled catalog of a locale; English is the source language."""
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext_for(locale: str) -> tuple[object, object]:
    """The gettext and ngettext callables of a locale."""
    t = translations(locale)
    return t.gettext, t.ngettext


def translate(locale: str, message: str, params: dict[str, object] | None = None) -> str:
    """Translate a message template and fill its %(name)s parameters."""
    text = translations(locale).gettext(message)
    if params:
        try:
            return text % params
        except (KeyError, TypeError, ValueError):
            return message % params
    return text


def plural(
    locale: str, singular: str, plural_form: str, count: object, params: dict[str, object]
) -> str:
    """The singular or plural template for the count, translated and filled."""
    try:
        n = int(str(count))
    except ValueError:
        n = 2
    text = translations(locale).ngettext(singular, plural_form, n)
    try:
        return text % params
    except (KeyError, TypeError, ValueError):
        return (singular if n == 1 else plural_form) % params

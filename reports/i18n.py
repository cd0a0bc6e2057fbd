"""Languages of the report: gettext catalogs from `reports/locales/*.po` and Babel formatting.

The .po files are compiled in memory when first used, so a fresh clone needs no build step. The current
language lives in a context variable set by `use_language`, which is how one Jinja environment (and one
set of templates) renders both languages.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import Translations

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
# Report language -> (catalog folder, Babel locale).
LANGUAGES: dict[str, tuple[str, str]] = {"en": ("en", "en_US"), "zh-CN": ("zh_CN", "zh_Hans_CN")}
_ALIASES = {
    "en": "en",
    "en-us": "en",
    "en_us": "en",
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "zh_cn": "zh-CN",
    "zh-hans": "zh-CN",
    "zh_hans_cn": "zh-CN",
}


class UnknownLanguage(ValueError):
    pass


def normalize_language(code: str) -> str:
    """`en` or `zh-CN` for any common spelling of them; anything else is an error naming the choices."""
    try:
        return _ALIASES[(code or "").strip().lower()]
    except KeyError:
        raise UnknownLanguage(
            f"unknown report language {code!r}: use one of {', '.join(LANGUAGES)}"
        ) from None


@dataclass(frozen=True)
class Language:
    code: str  # "en" | "zh-CN"
    locale: Locale
    translations: Translations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)


@cache
def get_language(code: str) -> Language:
    code = normalize_language(code)
    folder, babel_locale = LANGUAGES[code]
    po_path = LOCALES_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=folder, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Language(code, Locale.parse(babel_locale), Translations(fp=buf, domain=DOMAIN))


_current: ContextVar[Language | None] = ContextVar("storewatch_report_language", default=None)


@contextmanager
def use_language(code: str) -> Iterator[Language]:
    token = _current.set(get_language(code))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def current() -> Language:
    lang = _current.get()
    if lang is None:
        raise RuntimeError("no report language set: render inside `with use_language(code):`")
    return lang


def gettext(message: str) -> str:
    return current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated later, where the language is known."""
    return message


# ---- formatting (always in the current language) ----


def money(amount: Any, currency: str | None) -> str:
    amount = Decimal(str(amount))
    if not currency:
        return number(amount)
    return format_currency(amount, currency, locale=current().locale)


def number(value: Decimal | float) -> str:
    if isinstance(value, int):
        return format_decimal(value, locale=current().locale)
    return format_decimal(Decimal(str(value)), format="#,##0.##", locale=current().locale)


def percent(value: Decimal | float, *, signed: bool = False) -> str:
    """A value in percent units (12.5 -> "12.5%"); `signed` adds "+" to rises."""
    fraction = Decimal(str(value)) / 100
    pattern = "+#,##0.#%;-#,##0.#%" if signed and fraction != 0 else "#,##0.#%"
    return format_percent(fraction, format=pattern, locale=current().locale)


def when(value: datetime | date, *, short: bool = False) -> str:
    loc = current().locale
    if isinstance(value, datetime):
        return format_datetime(value, "short" if short else "medium", tzinfo=value.tzinfo, locale=loc)
    return format_date(value, "medium", locale=loc)

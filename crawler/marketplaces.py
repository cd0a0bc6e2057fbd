"""Every Amazon marketplace in one table: host, currency, locale, number format, retail merchant id.

The decimal separator follows the marketplace, never the page's interface language: a DE page served
in English still prints `1.299,99 €`.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Marketplace:
    code: str
    host: str
    currency: str
    locale: str  # the default interface language, as a BCP 47 tag
    decimal: str  # "." or ","
    timezone: str
    # Amazon's own retail merchant id where it is known: an offer with this id is sold by Amazon.
    retail_merchant_id: str | None = None

    @property
    def base_url(self) -> str:
        return f"https://{self.host}"

    @property
    def thousands(self) -> str:
        return "," if self.decimal == "." else "."


MARKETPLACES: dict[str, Marketplace] = {
    m.code: m
    for m in (
        Marketplace("us", "www.amazon.com", "USD", "en-US", ".", "America/Los_Angeles", "ATVPDKIKX0DER"),
        Marketplace("ca", "www.amazon.ca", "CAD", "en-CA", ".", "America/Toronto", "A3DWYIK6Y9EEQB"),
        Marketplace("mx", "www.amazon.com.mx", "MXN", "es-MX", ".", "America/Mexico_City", "AVDBXBAVVSXLQ"),
        Marketplace("br", "www.amazon.com.br", "BRL", "pt-BR", ",", "America/Sao_Paulo"),
        Marketplace("uk", "www.amazon.co.uk", "GBP", "en-GB", ".", "Europe/London", "A3P5ROKL5A1OLE"),
        Marketplace("de", "www.amazon.de", "EUR", "de-DE", ",", "Europe/Berlin", "A3JWKAKR8XB7XF"),
        Marketplace("fr", "www.amazon.fr", "EUR", "fr-FR", ",", "Europe/Paris", "A1X6FK5RDHNB96"),
        Marketplace("it", "www.amazon.it", "EUR", "it-IT", ",", "Europe/Rome", "A11IL2PNWYJU7H"),
        Marketplace("es", "www.amazon.es", "EUR", "es-ES", ",", "Europe/Madrid", "A1AT7YVPFBWXBL"),
        Marketplace("nl", "www.amazon.nl", "EUR", "nl-NL", ",", "Europe/Amsterdam"),
        Marketplace("se", "www.amazon.se", "SEK", "sv-SE", ",", "Europe/Stockholm"),
        Marketplace("pl", "www.amazon.pl", "PLN", "pl-PL", ",", "Europe/Warsaw"),
        Marketplace("be", "www.amazon.com.be", "EUR", "fr-BE", ",", "Europe/Brussels"),
        Marketplace("ie", "www.amazon.ie", "EUR", "en-IE", ".", "Europe/Dublin"),
        Marketplace("tr", "www.amazon.com.tr", "TRY", "tr-TR", ",", "Europe/Istanbul"),
        Marketplace("ae", "www.amazon.ae", "AED", "en-AE", ".", "Asia/Dubai"),
        Marketplace("sa", "www.amazon.sa", "SAR", "ar-SA", ".", "Asia/Riyadh"),
        Marketplace("eg", "www.amazon.eg", "EGP", "ar-EG", ".", "Africa/Cairo"),
        Marketplace("in", "www.amazon.in", "INR", "en-IN", ".", "Asia/Kolkata"),
        Marketplace("jp", "www.amazon.co.jp", "JPY", "ja-JP", ".", "Asia/Tokyo", "AN1VRQENFRJN5"),
        Marketplace("sg", "www.amazon.sg", "SGD", "en-SG", ".", "Asia/Singapore"),
        Marketplace("au", "www.amazon.com.au", "AUD", "en-AU", ".", "Australia/Sydney", "ANEGB3WVEVKZB"),
        Marketplace("cn", "www.amazon.cn", "CNY", "zh-CN", ".", "Asia/Shanghai"),
    )
}


class UnknownMarketplace(ValueError):
    pass


def get(code: str) -> Marketplace:
    """The marketplace for a code such as `us` or `de` (case-insensitive; `gb` is accepted for `uk`)."""
    key = (code or "").strip().lower()
    key = {"gb": "uk", "com": "us"}.get(key, key)
    try:
        return MARKETPLACES[key]
    except KeyError:
        raise UnknownMarketplace(
            f"unknown marketplace {code!r}: use one of {', '.join(MARKETPLACES)}"
        ) from None


def from_url(url: str) -> Marketplace | None:
    """The marketplace whose host serves `url`, or None for any other host (a local storefront)."""
    host = (urlsplit(url).hostname or "").lower()
    for m in MARKETPLACES.values():
        bare = m.host.removeprefix("www.")
        if host == bare or host.endswith("." + bare):
            return m
    return None

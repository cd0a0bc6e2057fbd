"""Money strings as every marketplace prints them (spiders/parsers/money.py)."""
from __future__ import annotations

import re
from decimal import Decimal
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.marketplaces import MARKETPLACES
from crawler.records import Money
from spiders.parsers import money
from spiders.parsers.money import parse_amount, parse_money, parse_split_price


@pytest.mark.parametrize("text, mk, amount", [
    ("$1,299.99", "us", "1299.99"),
    ("$0.99", "us", "0.99"),
    ("$5", "us", "5.00"),
    ("$1,234,567.89", "us", "1234567.89"),
    ("\u200e$23.96\u200e", "us", "23.96"),
    ("$12.99 ($0.50 / count)", "us", "12.99"),
    ("CDN$ 1,879.99", "ca", "1879.99"),
    ("MX$1,299.00", "mx", "1299.00"),
    ("R$ 1.499,99", "br", "1499.99"),
    ("R$3.982,89", "br", "3982.89"),
    ("R$ 1.499", "br", "1499.00"),
    ("£1,049.00", "uk", "1049.00"),
    ("1.299,99 €", "de", "1299.99"),
    ("8,00 € (57,14 € / kg)", "de", "8.00"),
    ("1.234.567,89 €", "de", "1234567.89"),
    ("1 299,99 €", "fr", "1299.99"),
    ("1\u202f299,99\u00a0€", "fr", "1299.99"),
    ("14,99 €", "it", "14.99"),
    ("52,41€", "es", "52.41"),
    ("26,21 € por 2", "es", "26.21"),
    ("€8.00", "ie", "8.00"),
    ("kr 1 299,00", "se", "1299.00"),
    # Arabic-Indic digits with the Arabic thousands and decimal signs (read as 1.00 before), full-width digits
    ("\u0631.\u0633.\u200f \u0661\u066c\u0662\u0667\u0669\u066b\u0660\u0660", "sa", "1279.00"),
    ("١٬٢٩٩٫٥٠ د.إ.", "ae", "1299.50"),
    ("\uffe5\uff11\uff12,\uff19\uff18\uff10", "jp", "12980"),
    # a discount printed beside the price: the percentage was read as the amount (15.00 EUR, 151980 JPY)
    ("-15 % 12,99 \u20ac", "de", "12.99"), ("\u221215\u00a0% 12,99 \u20ac", "de", "12.99"), ("%15 1.299,99 TL", "tr", "1299.99"),
    ("-15% \uffe51,980", "jp", "1980"),
    ("1 299,00 zł", "pl", "1299.00"),
    ("1.299,00 TL", "tr", "1299.00"),
    ("AED 1,299.00", "ae", "1299.00"),
    ("SAR1,279.00", "sa", "1279.00"),
    ("ر.س.\u200f 1,279.00", "sa", "1279.00"),
    ("EGP 1,299.00", "eg", "1299.00"),
    ("₹1,49,999.00", "in", "149999.00"),
    ("₹ 49,990", "in", "49990.00"),
    ("Rs. 1,299.00", "in", "1299.00"),
    ("\uffe512,980", "jp", "12980"),
    ("¥ 1,280", "jp", "1280"),
    ("12,980円", "jp", "12980"),
    ("S$ 29.90", "sg", "29.90"),
    ("A$ 29.95", "au", "29.95"),
    ("¥599.00", "cn", "599.00"),
])
def test_prices_in_every_format(text: str, mk: str, amount: str) -> None:
    money = parse_money(text, mk)
    assert money == Money(Decimal(amount), MARKETPLACES[mk].currency)
    assert parse_amount(text, MARKETPLACES[mk]) == Decimal(amount)


@pytest.mark.parametrize("text, mk", [
    (None, "us"), ("", "us"), ("   ", "de"), ("Currently unavailable", "us"),
    ("$12.99 - $18.99", "us"), ("$10.86 - $12", "us"), ("12,99 € – 18,99 €", "de"), ("2-3 days", "us"),
    ("1,299", "de"),  # three decimals in a comma-decimal market: no price format we know
    ("2 for $20", "us"), ("Save 15%", "us"),  # a multi-buy offer (was 2.00) and a bare discount
    # shown in another currency: not an amount in the marketplace's ("$12.99" on amazon.de was 1299.00 EUR);
    # cards.read_money reads these in the currency they name
    ("$12.99", "de"), ("\u20ac12.99", "us"), ("CDN$ 12.99", "us"), ("SAR 1,279.00", "ae"), ("\u00a312.99", "jp"),
])
def test_not_one_price(text: str | None, mk: str) -> None:
    assert parse_money(text, mk) is None


@pytest.mark.parametrize("mk", sorted(MARKETPLACES))
def test_currency_is_always_the_marketplace_s(mk: str) -> None:
    market = MARKETPLACES[mk]
    text = "1,234.50" if market.decimal == "." else "1.234,50"
    money = parse_money(text, mk)
    assert money is not None and money.currency == market.currency
    assert money.amount == (Decimal(1234) if market.currency == "JPY" else Decimal("1234.50"))


@pytest.mark.parametrize("whole, fraction, mk, amount", [
    ("1,499.", "00", "in", "1499.00"),
    ("1.499,", "00", "de", "1499.00"),
    ("1.234.567,", "89", "de", "1234567.89"),
    ("17", "95", "us", "17.95"),
    ("12,980", "", "jp", "12980"),
    ("589", None, "in", "589.00"),
])
def test_split_price(whole: str, fraction: str | None, mk: str, amount: str) -> None:
    assert parse_split_price(whole, fraction, mk) == Money(Decimal(amount), MARKETPLACES[mk].currency)


@pytest.mark.parametrize("whole, fraction", [(None, None), ("", "00"), ("abc", "00"), ("12", "5"), ("12", "999")])
def test_split_price_rejects(whole: str | None, fraction: str | None) -> None:
    assert parse_split_price(whole, fraction, "us") is None


def test_amounts_are_decimal_never_float() -> None:
    money = parse_money("$0.10", "us")
    assert isinstance(money.amount, Decimal) and money.amount * 3 == Decimal("0.30")


_MARKS = st.sampled_from(["", "$", "€", "R$", "CDN$", "SAR", "₹", "zł", "kr", "%", "k", "M", "e", "/count", "¢", "٫", "١٢"])
_NUMBERS = st.sampled_from(["0", "1", "12", "123", "1234", "01", "1,234", "1.234", "12,345,678", "1.234.567", "1,23"])
_FRACTIONS = st.sampled_from(["", ".", ",", ".5", ",5", ".99", ",99", ".999", ",999", ".00", ",00"])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_MARKS, st.sampled_from(["", " "]), _NUMBERS, _FRACTIONS, st.sampled_from(["", " "]), _MARKS,
       st.sampled_from(["us", "de", "br", "in", "sa", "uk", "fr"]))
def test_simple_amounts_read_as_price_parser_reads_them(pre: str, sp1: str, number: str, fraction: str, sp2: str,
                                                          post: str, mk: str) -> None:
    """The fast path for "$23.96"-shaped strings gives price-parser's answer (or leaves the string to it)."""
    text = f"{pre}{sp1}{number}{fraction}{sp2}{post}"
    with patch.dict(money._SIMPLE, {".": re.compile(r"(?!)"), ",": re.compile(r"(?!)")}):
        reference = parse_amount(text, mk)
    assert parse_amount(text, mk) == reference

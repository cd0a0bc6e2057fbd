"""Offers parser: the old offer-listing captures (goldens + labels) and hand-written all-offers panels."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from crawler.marketplaces import get as get_marketplace
from crawler.records import Money, Outcome, to_jsonable
from spiders.parsers.offers import parse_offers
from tests.conftest import GOLDEN_REALPAGES, ROOT, realpages_labels

GOLDEN = GOLDEN_REALPAGES / "offers"
AOD_PAGES = ROOT / "fixtures" / "pages" / "aod"
AOD_EXPECTED = ROOT / "fixtures" / "expected" / "aod"
HOSTS = {"us": "www.amazon.com", "de": "www.amazon.de", "jp": "www.amazon.co.jp"}
CASES = [e for e in realpages_labels() if e["kind"] == "offers"] or [
    pytest.param(None, marks=pytest.mark.skip(reason="real Amazon captures not found in ../shared/realpages"))
]


def _check_golden(path: Path, got: dict, update: bool) -> None:
    if update or not path.exists():
        if not update:
            pytest.fail(f"golden {path} missing: run pytest --update-goldens and review it")
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    assert got == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("entry", CASES, ids=lambda e: Path(e["file"]).stem if e else "none")
def test_real_offer_listing(entry, realpages: Path, update_goldens: bool) -> None:
    url = f"https://{get_marketplace(entry['marketplace']).host}{entry['route']}"
    page = parse_offers((realpages / entry["file"]).read_bytes(), url)
    assert page.outcome is Outcome.OK, page.reason
    assert page.asin == entry["asin"]
    want = [(o["seller"], Decimal(o["price"]), o["condition"], o["fba"]) for o in entry["expected"]["offers"]]
    got = [(o.seller, o.price.amount if o.price else None, o.condition, o.fulfilled_by_amazon) for o in page.offers]
    assert got == want
    # item price only; shipping is its own field and Amazon's row prints none
    for offer in page.offers:
        if offer.seller == "Amazon.com":
            assert (offer.seller_id, offer.shipping) == ("ATVPDKIKX0DER", None)
        else:
            assert offer.seller_id and offer.shipping == Money(Decimal("3.99"), "USD")
    _check_golden(GOLDEN / f"{Path(entry['file']).stem}.json", to_jsonable(page), update_goldens)


@pytest.mark.parametrize("stem", sorted(p.stem for p in AOD_PAGES.glob("*.html")))
def test_all_offers_panel_samples(stem: str, update_goldens: bool) -> None:
    """Hand-written panels (our own markup after the real panel's structure) against hand-typed expectations."""
    asin = stem.split("-", 1)[1]
    url = f"https://{HOSTS[stem[:2]]}/gp/aod/ajax?asin={asin}"
    page = parse_offers((AOD_PAGES / f"{stem}.html").read_bytes(), url)
    _check_golden(AOD_EXPECTED / f"{stem}.json", to_jsonable(page), update_goldens)


def test_pinned_offer_is_the_buybox_and_comes_first() -> None:
    page = parse_offers((AOD_PAGES / "us-B0C1AODUS1.html").read_bytes(),
                        "https://www.amazon.com/gp/aod/ajax?asin=B0C1AODUS1")
    assert [o.is_buybox for o in page.offers] == [True, False, False, False]
    assert page.total_count == 4


def test_conditional_free_delivery_is_not_free() -> None:
    html = ('<div id="aod-container"><div id="aod-offer-list"><div id="aod-offer">'
            '<div id="aod-offer-heading"><h5>New</h5></div><div id="aod-offer-price">'
            '<span class="a-price"><span class="a-offscreen">$9.00</span></span>'
            '<div class="aod-delivery-promise"><span>FREE delivery on orders shipped by Amazon over $35</span></div></div>'
            '<div id="aod-offer-soldBy"><span class="a-color-tertiary">Sold by</span>'
            '<a href="/gp/aag/main?seller=A1B2C3D4E5F6G7">Shop</a></div></div></div></div>')
    offer = parse_offers(html, "https://www.amazon.com/gp/aod/ajax?asin=B000000001").offers[0]
    assert (offer.shipping, offer.fulfilled_by_amazon, offer.seller_id) == (None, None, "A1B2C3D4E5F6G7")


def test_product_page_is_not_an_offer_list(realpages: Path) -> None:
    page = parse_offers((realpages / "product" / "us-B0C7SH4S4Z.html").read_bytes(),
                        "https://www.amazon.com/gp/offer-listing/B0C7SH4S4Z")
    assert page.outcome is Outcome.PARSE_INCOMPLETE and page.offers == ()


def test_truncated_panel_is_incomplete() -> None:
    html = (AOD_PAGES / "us-B0C1AODUS1.html").read_text(encoding="utf-8")
    page = parse_offers(html[: len(html) // 2], "https://www.amazon.com/gp/aod/ajax?asin=B0C1AODUS1")
    assert page.outcome is Outcome.PARSE_INCOMPLETE


def test_robot_check_is_blocked(realpages: Path) -> None:
    page = parse_offers((realpages / "blocked" / "us-captcha-1.html").read_bytes(),
                        "https://www.amazon.com/gp/offer-listing/B000000001")
    assert page.outcome is Outcome.BLOCKED and page.offers == ()


OLD_ROW = """<div class="a-row olpOffer"><span class="olpOfferPrice">{price}</span>{prime}
<p class="olpShippingInfo"><span class="a-color-secondary">{ship}</span></p>
<h3 class="olpCondition">{cond}</h3><p class="olpSellerName">{seller}</p>{extra}</div>"""


@pytest.mark.parametrize("seller, extra, prime, fba", [
    ('<a href="/gp/aag/main?seller=A1SELLER00001&amp;isAmazonFulfilled=1">Shop A</a>', "", "", True),
    ('<a href="/gp/aag/main?seller=A1SELLER00001">Shop A</a>', '<a class="olpFbaPopoverTrigger">Fulfillment by Amazon</a>',
     "", True),
    ('<a href="/gp/aag/main?seller=A1SELLER00001">Shop A</a>', "", '<i class="a-icon a-icon-prime"></i>', True),
    ('<a href="/gp/aag/main?seller=A1SELLER00001">Shop A</a>', "", "", False),
    ('<img src="logo.gif" alt="Amazon.de">', "", "", True),
])
def test_old_listing_fulfilment_signals(seller: str, extra: str, prime: str, fba: bool) -> None:
    row = OLD_ROW.format(price="EUR 12,99", prime=prime, ship="+ EUR 3,00 Versandkosten", cond="Gebraucht - Sehr gut",
                         seller=seller, extra=extra)
    page = parse_offers(f"<html><body>{row}</body></html>", "https://www.amazon.de/gp/offer-listing/3442000000")
    offer = page.offers[0]
    assert (offer.price, offer.shipping, offer.condition, offer.fulfilled_by_amazon) == (
        Money(Decimal("12.99"), "EUR"), Money(Decimal("3.00"), "EUR"), "Gebraucht - Sehr gut", fba)
    assert page.asin == "3442000000"


def test_old_listing_free_shipping_and_conditional() -> None:
    rows = "".join(OLD_ROW.format(price="$5.00", prime="", ship=ship, cond="New", extra="",
                                  seller='<a href="/gp/aag/main?seller=A1SELLER00001&amp;isAmazonFulfilled=0">S</a>')
                   for ship in ("&amp; <b>FREE Shipping</b>. Details", "&amp; FREE Shipping on orders over $35.00", ""))
    page = parse_offers(f"<html><body>{rows}</body></html>", "https://www.amazon.com/gp/offer-listing/B000000001")
    assert [o.shipping for o in page.offers] == [Money(Decimal("0.00"), "USD"), None, None]


@pytest.mark.parametrize("text, want", [
    ("97% positive over the last 12 months", 97), ("%97 olumlu", 97),  # Turkish puts the sign first
    ("\u066a\u0669\u0665 \u0625\u064a\u062c\u0627\u0628\u064a", 95), ("(1,024 ratings)", None), ("250%", None),
])
def test_seller_rating_percent_in_any_order(text: str, want: int | None) -> None:
    from selectolax.lexbor import LexborHTMLParser

    from spiders.parsers.offers import _percent

    box = LexborHTMLParser(f"<div id='x'>{text}</div>").css_first("#x")
    assert _percent(box) == (Decimal(want) if want is not None else None)


@pytest.mark.parametrize("sold_by, seller_id, fba", [
    ("Amazon.com", "ATVPDKIKX0DER", True),  # the retailer, named without a link
    ("Amazon Resale", None, True),  # a seller of its own (Warehouse's new name): its id is not the retailer's
    ("Amazon Warehouse", None, True),
])
def test_amazon_s_own_sellers_without_a_link(sold_by: str, seller_id: str | None, fba: bool) -> None:
    html = ('<div id="aod-container"><div id="aod-offer-list"><div id="aod-offer">'
            '<div id="aod-offer-heading"><h5>Used - Like New</h5></div><div id="aod-offer-price">'
            '<span class="a-price"><span class="a-offscreen">$9.00</span></span></div>'
            '<div id="aod-offer-soldBy"><span class="a-color-tertiary">Sold by</span>'
            f'<span class="a-size-small a-color-base">{sold_by}</span></div></div></div></div>')
    offer = parse_offers(html, "https://www.amazon.com/gp/aod/ajax?asin=B000000001").offers[0]
    assert (offer.seller, offer.seller_id, offer.fulfilled_by_amazon) == (sold_by, seller_id, fba)

"""Product page parser: golden files for the real captures, and small hand-made pages for each rule.

Goldens (fixtures/expected/realpages/product/*.json) hold LABELS.json values plus values read off each page
independently (bullets, breadcrumbs, BSR rows, histogram, review ids, seller ids); every key is compared.
`pytest --update-goldens` rewrites the values of the keys a golden already has, for a reviewed diff.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from crawler.marketplaces import get as get_marketplace
from crawler.records import BuyboxState, Money, Outcome, to_jsonable
from spiders.parsers.product import parse_product
from tests.conftest import GOLDEN_REALPAGES, realpages_labels

GOLDEN = GOLDEN_REALPAGES / "product"
LABELS = {e["file"]: e for e in realpages_labels()}
GOLDEN_FILES = sorted(GOLDEN.glob("*.json"))


def _label_for(stem: str) -> dict:
    entry = LABELS.get(f"product/{stem}.html")
    if entry is None:
        mk, asin = stem.split("-", 1)
        entry = {"file": f"product/{stem}.html", "marketplace": mk, "route": f"/dp/{asin}"}
    return entry


def _url(entry: dict) -> str:
    return f"https://{get_marketplace(entry['marketplace']).host}{entry['route']}"


@pytest.mark.parametrize("golden", GOLDEN_FILES, ids=lambda p: p.stem)
def test_real_product_page(golden: Path, realpages: Path, update_goldens: bool) -> None:
    entry = _label_for(golden.stem)
    page = realpages / entry["file"]
    if not page.exists():
        pytest.skip(f"capture {page} not found")
    snap = parse_product(page.read_bytes(), _url(entry), entry["marketplace"])
    got = to_jsonable(snap)
    want = json.loads(golden.read_text(encoding="utf-8"))
    if update_goldens:
        golden.write_text(json.dumps({k: got[k] for k in want}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    assert {k: got[k] for k in want} == want
    # health: an ok page names what it did not find, and never a field it has
    assert not any(got.get(name) for name in snap.missing)


def test_every_labelled_product_page_has_a_golden() -> None:
    if not LABELS:
        pytest.skip("real Amazon captures not found in ../shared/realpages")
    stems = {p.stem for p in GOLDEN_FILES}
    assert {Path(f).stem for f, e in LABELS.items() if e["kind"] == "product"} <= stems


def test_str_and_bytes_give_the_same_snapshot(realpages: Path) -> None:
    page = realpages / "product" / "in-B0D1G32M32.html"
    data = page.read_bytes()
    url = "https://www.amazon.in/dp/B0D1G32M32"
    assert parse_product(data, url) == parse_product(data.decode("utf-8"), url)


# ---------------------------------------------------------------- hand-made pages

def _page(center: str = "", right: str = "", asin: str = "B000TEST01", title: str = "A Test Product",
          extra: str = "", close: bool = True) -> str:
    head = (f'<html><head><title>x</title></head><body><div id="dp"><div id="dp-container"><div id="ppd">'
            f'<div id="centerCol"><h1 id="title"><span id="productTitle"> {title} </span></h1>{center}</div>'
            f'<div id="rightCol"><div id="buybox"><form id="addToCart"><input type="hidden" id="ASIN" name="ASIN" '
            f'value="{asin}">{right}</form></div></div></div>{extra}</div></div>')
    return head + ("</body></html>" if close else "")


def _core(price: str, basis: str = "") -> str:
    return (f'<div id="corePriceDisplay_desktop_feature_div"><span class="a-price priceToPay">'
            f'<span class="a-offscreen">{price}</span></span>{basis}</div>')


def _basis(label: str, price: str) -> str:
    return (f'<span class="basisPrice">{label} <span class="a-price a-text-price" data-a-strike="true">'
            f'<span class="a-offscreen">{price}</span></span></span>')


def _merchant(label: str, seller: str, seller_id: str | None = None) -> str:
    link = (f'<a id="sellerProfileTriggerId" href="/gp/help/seller/at-a-glance.html?ie=UTF8&amp;seller={seller_id}">'
            f'{seller}</a>') if seller_id else seller
    return (f'<div id="merchantInfoFeature_feature_div"><div class="offer-display-feature-label"><span>{label}</span>'
            f'</div><div class="offer-display-feature-text"><span class="offer-display-feature-text-message">{link}'
            f'</span></div></div>')


def _fulfiller(label: str, name: str) -> str:
    return (f'<div id="fulfillerInfoFeature_feature_div"><div class="offer-display-feature-label"><span>{label}</span>'
            f'</div><div class="offer-display-feature-text"><span class="offer-display-feature-text-message">{name}'
            f'</span></div></div>')


def test_owned_buy_box_fields() -> None:
    right = _core("$19.99", _basis("List Price:", "$29.99")) + _fulfiller("Ships from", "Amazon") + _merchant(
        "Sold by", "Acme Goods", "A1B2C3D4E5F6G7") + '<div id="availability"><span>In Stock</span></div>'
    center = ('<a id="bylineInfo" href="/stores/Acme">Visit the Acme Store</a>'
              '<span id="acrPopover" title="4.6 out of 5 stars"></span><span id="acrCustomerReviewText">1,234 ratings</span>')
    snap = parse_product(_page(center, right), "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.OK
    assert (snap.price, snap.list_price) == (Money(Decimal("19.99"), "USD"), Money(Decimal("29.99"), "USD"))
    assert (snap.buybox_seller, snap.buybox_seller_id, snap.ships_from) == ("Acme Goods", "A1B2C3D4E5F6G7", "Amazon")
    assert snap.fulfilled_by_amazon is True and snap.in_stock is True
    assert (snap.brand, snap.rating, snap.review_count) == ("Acme", Decimal("4.6"), 1234)
    assert snap.buybox_state is BuyboxState.OWNED
    assert [o.is_buybox for o in snap.offers] == [True]


def test_sold_by_amazon_gets_the_retail_merchant_id() -> None:
    right = _core("8,00 €") + _merchant("Versand / Verkäufer", "Amazon")
    snap = parse_product(_page(right=right), "https://www.amazon.de/dp/B000TEST01")
    assert (snap.buybox_seller, snap.ships_from, snap.buybox_seller_id) == ("Amazon", "Amazon", "A3JWKAKR8XB7XF")
    assert snap.price == Money(Decimal("8.00"), "EUR") and snap.currency == "EUR"


def test_split_price_when_offscreen_is_empty() -> None:
    right = ('<div id="corePrice_feature_div"><span class="a-price apexPriceToPay"><span class="a-offscreen"></span>'
             '<span class="a-price-symbol">₹</span><span class="a-price-whole">1,499<span class="a-price-decimal">.'
             '</span></span><span class="a-price-fraction">00</span></span></div>')
    snap = parse_product(_page(right=right), "https://www.amazon.in/dp/B000TEST01")
    assert snap.price == Money(Decimal("1499.00"), "INR")


@pytest.mark.parametrize("label, listed", [
    ("List Price:", True), ("M.R.P.:", True), ("RRP:", True), ("Prix conseillé :", True),
    ("Precio recomendado:", True), ("New Condition Price:", False), ("One-Time Price:", False),
    ("Typical price:", False), ("List:", True), ("Was:", False), ("Wish List:", False),
    ("Unverb. Preisempf.:", True), ("Prezzo consigliato:", True), ("\u53c2\u8003\u4fa1\u683c:", True),
])
def test_only_list_price_labels_make_a_list_price(label: str, listed: bool) -> None:
    snap = parse_product(_page(right=_core("$10.00", _basis(label, "$15.00"))), "https://www.amazon.com/dp/B000TEST01")
    assert (snap.list_price == Money(Decimal("15.00"), "USD")) is listed
    if not listed:
        assert snap.list_price is None


def test_used_and_subscribe_rows_are_not_the_buy_box() -> None:
    right = (f'<div id="usedAccordionRow">{_core("$5.00")}{_merchant("Sold by", "Amazon Resale")}</div>'
             f'<div id="newAccordionRow_0">{_core("$9.00")}{_merchant("Shipper / Seller", "Amazon.com")}</div>'
             f'<div id="snsAccordionRowMiddle">{_core("$7.60")}</div>')
    snap = parse_product(_page(right=right), "https://www.amazon.com/dp/B000TEST01")
    assert snap.price == Money(Decimal("9.00"), "USD")
    assert (snap.buybox_seller, snap.ships_from) == ("Amazon.com", "Amazon.com")


def test_legacy_priceblock_and_merchant_info() -> None:
    right = ('<span id="priceblock_ourprice">$10.86</span><div id="merchant-info">Sold by '
             '<a href="/gp/help/seller/at-a-glance.html?seller=A3EL5JZNMT8SZ7">Direct ChangM</a> and '
             '<a href="#">Fulfilled by Amazon</a>.</div>')
    snap = parse_product(_page(right=right), "https://www.amazon.com/gp/product/B000TEST01")
    assert snap.price == Money(Decimal("10.86"), "USD")
    assert (snap.buybox_seller, snap.buybox_seller_id, snap.ships_from) == ("Direct ChangM", "A3EL5JZNMT8SZ7", "Amazon")


@pytest.mark.parametrize("right, state", [
    ('<div id="outOfStock"><span class="a-color-price">Currently unavailable.</span></div>', BuyboxState.UNAVAILABLE),
    ('<div id="priceNotAvailable_feature_div"><span>To see product details, add this item to your cart.</span></div>',
     BuyboxState.PRICE_HIDDEN),
    ('<div id="partialStateBuyBox_feature_div"><span>To buy, select Size</span></div>', BuyboxState.CHOOSE_VARIATION),
    ('<div id="buybox-see-all-buying-choices"><a href="/gp/offer-listing/B000TEST01">See All Buying Options</a></div>',
     BuyboxState.SUPPRESSED),
    (('<div id="corePrice_desktop"><span class="a-price-range"><span class="a-price apexPriceToPay"><span '
      'class="a-offscreen">$36.28</span></span> - <span class="a-price apexPriceToPay"><span class="a-offscreen">'
      '$59.95</span></span></span></div>'), BuyboxState.CHOOSE_VARIATION),
])
def test_no_featured_offer_is_ok_with_a_state(right: str, state: BuyboxState) -> None:
    snap = parse_product(_page(right=right), "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.OK
    assert snap.buybox_state is state
    assert snap.price is None and snap.list_price is None
    assert "price" not in snap.missing


def test_coupon_but_not_promotions() -> None:
    coupon = ('<div id="promoPriceBlockMessage_feature_div"><span id="couponBadge_x"><label id="couponText1">'
              'Apply 10% coupon</label></span></div>')
    snap = parse_product(_page(right=_core("$20.00") + coupon), "https://www.amazon.com/dp/B000TEST01")
    assert snap.coupon is not None and snap.coupon.percent == Decimal(10)
    promo = ('<div id="promoPriceBlockMessage_feature_div"><span>Savings 20% with coupon code AJB20, enter code at '
             'checkout</span></div>')
    assert parse_product(_page(right=_core("$20.00") + promo), "https://www.amazon.com/dp/B000TEST01").coupon is None


@pytest.mark.parametrize("label, percent", [
    ("Appliquer le coupon de 10\u00a0%", 10), ("Kupon %10 uygula", 10), ("Kortingsbon van 5% toepassen", 5),
    ("\u062a\u0637\u0628\u064a\u0642 \u0643\u0648\u0628\u0648\u0646 15%", 15),
    ("\u0642\u0633\u064a\u0645\u0629 \u062e\u0635\u0645 \u066a\u0661\u0660", 10),  # Arabic percent sign and digits
])
def test_coupons_in_other_languages(label: str, percent: int) -> None:
    # Turkish puts the percent sign first, Dutch and Arabic say coupon in words of their own: these coupons
    # were not seen at all
    coupon = f'<div id="promoPriceBlockMessage_feature_div"><span id="couponBadge_x"><label id="couponText1">{label}</label></span></div>'
    snap = parse_product(_page(right=_core("$20.00") + coupon), "https://www.amazon.com/dp/B000TEST01")
    assert snap.coupon is not None and snap.coupon.percent == Decimal(percent)


@pytest.mark.parametrize("byline, brand", [
    ("Visit the Sony Store", "Sony"), ("Brand: Inov-8", "Inov-8"), ("Marca: Amazon", "Amazon"),
    ("Besuche den Old Spice-Store", "Old Spice"), ("Visita la tienda de Hercules", "Hercules"),
    ("Visite a loja Apple", "Apple"), ("Anker のストアを表示", "Anker"), ("Visiter la boutique Bosch", "Bosch"),
    ("ChangM", "ChangM"), ("Besök Foo-butiken", "Foo"),
    # the Arabic interface of amazon.sa / .ae / .eg (the whole byline was taken for the brand)
    ("\u0642\u0645 \u0628\u0632\u064a\u0627\u0631\u0629 \u0645\u062a\u062c\u0631 Bosch", "Bosch"),
    ("\u0627\u0644\u0639\u0644\u0627\u0645\u0629 \u0627\u0644\u062a\u062c\u0627\u0631\u064a\u0629: Bosch", "Bosch"),
    ("\u0645\u062a\u062c\u0631 Bosch \u0627\u0644\u0631\u0633\u0645\u064a", None),  # a shape we do not know: no guess
])
def test_brand_from_byline(byline: str, brand: str | None) -> None:
    center = f'<a id="bylineInfo" href="/stores/x">{byline}</a>'
    assert parse_product(_page(center), "https://www.amazon.com/dp/B000TEST01").brand == brand


def test_book_byline_is_no_brand() -> None:
    center = ('<div id="bylineInfo"><span class="author"><a href="/a">David Baldacci</a> (Author)</span></div>')
    assert parse_product(_page(center), "https://www.amazon.com/dp/B000TEST01").brand is None


def test_page_for_another_product_is_redirected() -> None:
    snap = parse_product(_page(asin="B000OTHER1"), "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.REDIRECTED
    assert (snap.asin, snap.redirected_to, snap.price) == ("B000TEST01", "B000OTHER1", None)


def test_variation_child_with_parent_canonical_is_not_a_redirect() -> None:
    extra = ('<link rel="canonical" href="https://www.amazon.com/x/dp/B000PARENT"><script>var d = {"parentAsin":'
             '"B000PARENT", "dimensionToAsinMap" : {"0_0":"B000TEST01","0_1":"B000TEST02"}};</script>')
    snap = parse_product(_page(right=_core("$10.00"), extra=extra), "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.OK
    assert snap.parent_asin == "B000PARENT"
    assert snap.variation_asins == ("B000TEST01", "B000TEST02")


def test_sibling_variation_answering_is_not_a_redirect() -> None:
    extra = '<script>x = {"dimensionToAsinMap" : {"0_0":"B000TEST01","0_1":"B000TEST02"}};</script>'
    snap = parse_product(_page(right=_core("$10.00"), asin="B000TEST02", extra=extra),
                         "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.OK and snap.redirected_to == "B000TEST02"


def test_truncated_document_is_incomplete() -> None:
    snap = parse_product(_page(right=_core("$10.00"), close=False), "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.PARSE_INCOMPLETE and "truncated" in (snap.reason or "")


def test_buy_box_that_moved_is_incomplete_not_empty() -> None:
    # no price and no notice saying why: a renamed price block, not a product without offers
    right = '<div id="corePriceDisplay_desktop_v2"><span class="a-price priceToPay2"><span>$9.99</span></span></div>'
    snap = parse_product(_page(right=right), "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.PARSE_INCOMPLETE and "buy_box" in (snap.reason or "")
    assert snap.title == "A Test Product" and snap.price is None


def test_layout_drift_names_the_missing_anchors() -> None:
    html = "<html><body><div id='something-new'><h1>Product</h1></div>" + "x" * 3000 + "</body></html>"
    snap = parse_product(html, "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.PARSE_INCOMPLETE
    assert "title" in snap.reason and "asin_field" in snap.reason and "center_column" in snap.reason


def test_robot_check_yields_no_data() -> None:
    html = ('<html><body><form method="get" action="/errors/validateCaptcha"><input type=hidden name="amzn" value="x">'
            '<input type=hidden name="amzn-r" value="/dp/B000TEST01"><span id="productTitle">Bait</span></form>'
            '</body></html>')
    snap = parse_product(html, "https://www.amazon.com/dp/B000TEST01")
    assert snap.outcome is Outcome.BLOCKED and snap.title is None and snap.price is None


@pytest.mark.parametrize("url, asin, mk", [
    ("https://www.amazon.co.jp/gp/product/B000TEST01?th=1", "B000TEST01", "jp"),
    ("https://www.amazon.de/Some-Slug/dp/B000TEST01/ref=sr_1_1", "B000TEST01", "de"),
    ("http://127.0.0.1:8000/gp/aod/ajax?asin=B000TEST01", "B000TEST01", "us"),
])
def test_asin_and_marketplace_from_url(url: str, asin: str, mk: str) -> None:
    snap = parse_product(_page(), url)
    assert (snap.asin, snap.marketplace, snap.currency) == (asin, mk, get_marketplace(mk).currency)


@pytest.mark.parametrize("line, ranks", [
    ("Best Sellers Rank: #1,234 in Kitchen & Dining (See Top 100 in Kitchen & Dining) #5 in Chef's Knives",
     ((1234, "Kitchen & Dining"), (5, "Chef's Knives"))),
    # French, Swedish and Polish group thousands with (no-break) spaces: "nº 1 234" was read as rank 1
    (("Classement des meilleures ventes d'Amazon : n\u00ba\u202f1\u202f234 en Cuisine et Maison (Voir les 100 premiers "
     "en Cuisine et Maison) n\u00ba\u00a05 en Couteaux"), ((1234, "Cuisine et Maison"), (5, "Couteaux"))),
    ("Rangordning f\u00f6r b\u00e4sts\u00e4ljare: #1\u00a0234 i K\u00f6k (Se topp 100 i K\u00f6k) #7 i Knivar",
     ((1234, "K\u00f6k"), (7, "Knivar"))),
    ("Ranking najlepiej sprzedaj\u0105cych si\u0119 produkt\u00f3w: #12\u00a0345 w Kuchnia #8 w No\u017ce",
     ((12345, "Kuchnia"), (8, "No\u017ce"))),
    # Italian "n. 1.234" and its label, Dutch and Arabic: no rank was read
    (("Posizione nella classifica Bestseller di Amazon: n. 1.234 in Casa e cucina (Visualizza i Top 100 nella "
     "categoria Casa e cucina) n. 2 in Coltelli"), ((1234, "Casa e cucina"), (2, "Coltelli"))),
    ("Plaats in bestsellerlijst van Amazon: #1.234 in Keuken (Top 100 in Keuken bekijken)", ((1234, "Keuken"),)),
    (("\u062a\u0635\u0646\u064a\u0641 \u0627\u0644\u0623\u0643\u062b\u0631 \u0645\u0628\u064a\u0639\u064b\u0627: "
     "#1,234 \u0641\u064a \u0627\u0644\u0645\u0637\u0628\u062e"), ((1234, "\u0627\u0644\u0645\u0637\u0628\u062e"),)),
    (("Amazon Bestseller-Rang: Nr. 1.234 in K\u00fcche, Haushalt & Wohnen (Siehe Top 100 in K\u00fcche, Haushalt & Wohnen) "
     "Nr. 3 in Messer"), ((1234, "K\u00fcche, Haushalt & Wohnen"), (3, "Messer"))),
])
def test_best_sellers_rank_in_every_marketplace_s_writing(line: str, ranks: tuple) -> None:
    label, _, value = line.partition(":")
    extra = (f'<div id="detailBulletsWrapper_feature_div"><ul><li><span class="a-list-item"><span class="a-text-bold">'
             f'{label}:</span>{value}</span></li></ul></div>')
    snap = parse_product(_page(extra=extra), "https://www.amazon.com/dp/B000TEST01")
    assert tuple((r.rank, r.category) for r in snap.bsr) == ranks


@pytest.mark.parametrize("link, count", [
    ("New (3) from $12.99", 3), ("Comparar outras 12 ofertas", 12),
    # a word between the number and "offers": these counts were not read, so no offers panel was fetched
    ("Compare 12 other offers", 12), ("Vergleiche 4 weitere Angebote", 4), ("Comparer 4 autres offres", 4),
    ("J\u00e4mf\u00f6r 4 andra erbjudanden", 4), ("Por\u00f3wnaj 4 inne oferty", 4),
    ("See All Buying Options", None),
])
def test_other_sellers_count_from_the_offers_link(link: str, count: int | None) -> None:
    right = _core("$20.00") + f'<div id="aod-ingress-link"><a href="#">{link}</a></div>'
    assert parse_product(_page(right=right), "https://www.amazon.com/dp/B000TEST01").other_sellers_count == count


_SELLER_LINK = '<a href="/gp/help/seller/at-a-glance.html?seller=A1B2C3D4E5F6G7">{}</a>'


@pytest.mark.parametrize("mk, price, sentence, want", [
    # the UK says "dispatched", Brazil "enviado pela Amazon": these buy boxes had no seller or no shipper
    ("uk", "\u00a320.00", "Dispatched from and sold by Amazon.", ("Amazon", "A3P5ROKL5A1OLE", "Amazon", True)),
    ("uk", "\u00a320.00", f"Dispatched from and sold by {_SELLER_LINK.format('Gadget Hub UK')}.",
     ("Gadget Hub UK", "A1B2C3D4E5F6G7", "Gadget Hub UK", False)),
    ("uk", "\u00a320.00", f"Sold by {_SELLER_LINK.format('Gadget Hub UK')} and Fulfilled by Amazon.",
     ("Gadget Hub UK", "A1B2C3D4E5F6G7", "Amazon", True)),
    ("br", "R$ 20,00", f"Vendido por {_SELLER_LINK.format('Loja X')} e enviado pela Amazon.",
     ("Loja X", "A1B2C3D4E5F6G7", "Amazon", True)),
])
def test_merchant_info_sentences(mk: str, price: str, sentence: str, want: tuple) -> None:
    host = {"uk": "www.amazon.co.uk", "br": "www.amazon.com.br"}[mk]
    right = _core(price) + f'<div id="merchant-info">{sentence}</div>'
    snap = parse_product(_page(right=right), f"https://{host}/dp/B000TEST01", mk)
    assert (snap.buybox_seller, snap.buybox_seller_id, snap.ships_from, snap.fulfilled_by_amazon) == want


@pytest.mark.parametrize("ships_from, fba", [
    ("Amazon", True), ("Amazon.com", True), ("Amazon.com Services LLC", True), ("Amazon EU S.\u00e0 r.l.", True),
    ("Gadget Hub", False), ("Amazonia Outfitters", False),
])
def test_fulfilled_by_amazon_from_any_of_amazon_s_names(ships_from: str, fba: bool) -> None:
    right = (_core("$20.00") + _merchant("Sold by", "Gadget Hub", "A1B2C3D4E5F6G7")
             + '<div id="fulfillerInfoFeature_feature_div"><div class="offer-display-feature-text">'
             f'<span class="offer-display-feature-text-message">{ships_from}</span></div></div>')
    snap = parse_product(_page(right=right), "https://www.amazon.com/dp/B000TEST01")
    assert (snap.ships_from, snap.fulfilled_by_amazon) == (ships_from, fba)

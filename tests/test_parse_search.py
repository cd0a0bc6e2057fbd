"""Search results parser: golden files for the real captures, their labels, and small hand-made cards."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from crawler.marketplaces import get as get_marketplace
from crawler.records import Money, Outcome, to_jsonable
from spiders.parsers.search import parse_search
from tests.conftest import GOLDEN_REALPAGES, realpages_labels

GOLDEN = GOLDEN_REALPAGES / "search"
CASES = [e for e in realpages_labels() if e["kind"] == "search"] or [
    pytest.param(None, marks=pytest.mark.skip(reason="real Amazon captures not found in ../shared/realpages"))
]


def _url(entry: dict) -> str:
    return f"https://{get_marketplace(entry['marketplace']).host}{entry['route']}"


def _check_golden(path: Path, got: dict, update: bool) -> None:
    if update or not path.exists():
        if not update:
            pytest.fail(f"golden {path} missing: run pytest --update-goldens and review it")
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    assert got == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("entry", CASES, ids=lambda e: Path(e["file"]).stem if e else "none")
def test_real_search_page(entry, realpages: Path, update_goldens: bool) -> None:
    page = parse_search((realpages / entry["file"]).read_bytes(), _url(entry))
    assert page.outcome is Outcome.OK, page.reason
    # the labels: every tile, in page order, with its sponsored flag, and nothing extra
    want = [(row["asin"], bool(row["sponsored"])) for row in entry["expected"]["rows"]]
    assert [(r.asin, r.sponsored) for r in page.results] == want
    assert page.keyword == entry["keyword"]
    assert [r.position for r in page.results] == list(range(1, len(want) + 1))
    organic = [r.organic_position for r in page.results if not r.sponsored]
    assert organic == list(range(1, len(organic) + 1))
    assert all(r.title for r in page.results)
    _check_golden(GOLDEN / f"{Path(entry['file']).stem}.json", to_jsonable(page), update_goldens)


def _card(asin: str, inner: str = "", cls: str = "s-result-item") -> str:
    return (f'<div data-component-type="s-search-result" data-asin="{asin}" class="{cls}">'
            f'<h2><a href="/x/dp/{asin}"><span>Title {asin}</span></a></h2>{inner}</div>')


def _page(*cards: str, extra: str = "") -> str:
    return (f'<html><body>{extra}<div class="s-main-slot s-result-list" data-component-type="s-search-results">'
            f'{"".join(cards)}</div></body></html>')


@pytest.mark.parametrize("label", ["Sponsored", "Patrocinado", "スポンサー", "Gesponsert", "Sponsorisé",
                                   "Sponsorizzato", "赞助"])
def test_sponsored_label_in_any_language(label: str) -> None:
    inner = f'<span class="puis-label-popover-default"><span class="a-color-secondary">{label}</span></span>'
    page = parse_search(_page(_card("B000000001", inner), _card("B000000002")), "https://www.amazon.com/s?k=x")
    assert [(r.sponsored, r.sponsored_position, r.organic_position) for r in page.results] == [
        (True, 1, None), (False, None, 1)]


@pytest.mark.parametrize("inner, cls", [
    ("", "s-result-item AdHolder"),
    ('<div data-component-type="sp-sponsored-result"></div>', "s-result-item"),
    ('<a href="/sspa/click?ie=UTF8&amp;url=%2Fdp%2FB000000001">x</a>', "s-result-item"),
    ('<span class="puis-sponsored-label-text">Sponsored</span>', "s-result-item"),
])
def test_sponsored_markup_signals(inner: str, cls: str) -> None:
    page = parse_search(_page(_card("B000000001", inner, cls)), "https://www.amazon.com/s?k=x")
    assert page.results[0].sponsored is True


def test_title_mentioning_sponsored_is_not_an_ad() -> None:
    card = _card("B000000003", '<span class="a-color-secondary">Sponsored by nobody, a novel</span>')
    assert parse_search(_page(card), "https://www.amazon.com/s?k=x").results[0].sponsored is False


def test_widgets_and_empty_asins_are_not_positions() -> None:
    carousel = ('<div class="a-carousel-container" data-a-carousel-options="{}"><ul class="a-carousel">'
                f'<li>{_card("B0000000C1")}</li></ul></div>')
    nested = _card("B0000000N1", _card("B0000000N2"))
    html = _page(_card(""), nested, carousel, _card("B0000000Z9"), extra='<div data-asin="B0000000W1">ad</div>')
    page = parse_search(html, "https://www.amazon.com/s?k=x&page=3")
    assert [(r.asin, r.position, r.page) for r in page.results] == [("B0000000N1", 1, 3), ("B0000000Z9", 2, 3)]


def test_card_fields_price_rating_badges_coupon_deal() -> None:
    inner = (
        '<div data-cy="reviews-block"><i class="a-icon a-icon-star-small a-star-small-4-5">'
        '<span class="a-icon-alt">4,5 de 5 estrellas</span></i>'
        '<a aria-label="7.319 calificaciones" href="/x/dp/B000000001#customerReviews"><span>(7,3 mil)</span></a></div>'
        '<div data-cy="price-recipe"><span class="a-badge" data-a-badge-type="deal"><span class="a-badge-label">'
        '<span class="a-badge-label-inner"><span class="a-badge-text">Oferta por tiempo limitado</span></span></span></span>'
        '<span class="a-price"><span class="a-offscreen">15,99&nbsp;€</span></span>'
        '<span class="a-price a-text-price" data-a-strike="true"><span class="a-offscreen">19,99&nbsp;€</span></span></div>'
        '<div class="puis-status-badge-container"><span class="a-badge" data-a-badge-type="status">'
        '<span class="a-badge-label"><span class="a-badge-label-inner"><span class="a-badge-text">Más vendido</span>'
        '</span></span></span></div>'
        '<span data-component-type="s-coupon-component"><span class="s-coupon-unclipped">Ahorra 5%  con cupón</span></span>'
    )
    page = parse_search(_page(_card("B000000001", inner)), "https://www.amazon.es/s?k=God+of+War")
    r = page.results[0]
    assert page.marketplace == "es" and page.keyword == "God of War"
    assert r.price == Money(Decimal("15.99"), "EUR")
    assert (r.rating, r.review_count) == (Decimal("4.5"), 7319)
    assert (r.badges, r.deal, r.coupon) == (("Más vendido",), "Oferta por tiempo limitado", "Ahorra 5% con cupón")


def test_rounded_review_count_is_not_read() -> None:
    inner = '<a href="/x/dp/B000000001#customerReviews"><span>(1.5K)</span></a>'
    assert parse_search(_page(_card("B000000001", inner)), "https://www.amazon.com/s?k=x").results[0].review_count is None


def test_no_cards_is_incomplete_not_empty() -> None:
    page = parse_search("<html><body><div id='search'>layout drift</div></body></html>", "https://www.amazon.com/s?k=x")
    assert page.outcome is Outcome.PARSE_INCOMPLETE and page.results == () and "results" in page.missing


def test_truncated_page_is_incomplete_but_keeps_cards() -> None:
    html = _page(_card("B000000001"), _card("B000000002"))[:-len("</div></body></html>")]
    page = parse_search(html, "https://www.amazon.com/s?k=x")
    assert page.outcome is Outcome.PARSE_INCOMPLETE and len(page.results) == 2


def test_robot_check_is_blocked(realpages: Path) -> None:
    page = parse_search((realpages / "blocked" / "us-captcha-1.html").read_bytes(),
                        "https://www.amazon.com/s?k=disposable+face+masks")
    assert page.outcome is Outcome.BLOCKED and page.results == ()


def test_brand_line_above_the_title() -> None:
    card = ('<div data-component-type="s-search-result" data-asin="B000000001"><div data-cy="title-recipe">'
            '<div class="a-row a-color-secondary"><h2 class="a-size-mini"><span>Levi\'s</span></h2></div>'
            '<a href="/x/dp/B000000001"><h2><span>Men\'s 505 Regular Fit Jeans</span></h2></a></div></div>')
    r = parse_search(_page(card), "https://www.amazon.com/s?k=jeans").results[0]
    assert (r.brand, r.title) == ("Levi's", "Men's 505 Regular Fit Jeans")

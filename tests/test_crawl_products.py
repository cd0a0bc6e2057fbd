"""Crawl every catalog product of the offline storefront over plain HTTP and check every field against
the storefront's ground truth (its catalog), across US, UK, DE and JP."""
from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from crawler.records import ProductSnapshot
from fixtures.storefront import catalog
from tests.conftest import db_url_for

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def run_batch(base_url: str, db_url: str, products: list[Any], home: str) -> list[dict[str, Any]]:
    env = {**__import__("os").environ, "STOREWATCH_HOME": home}
    cmd = [sys.executable, "-m", "crawler.batch", "--base-url", base_url, "--db", db_url,
           *[f"{p.marketplace}:{p.asin}" for p in products]]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.fixture(scope="module")
def crawled(storefront, tmp_path_factory) -> dict[str, ProductSnapshot]:
    from crawler.db import open_database
    from crawler.store import Store

    home = tmp_path_factory.mktemp("home")
    db_url = db_url_for(home, "crawl.db")
    truth = catalog.load("day1")
    lines = run_batch(storefront.url, db_url, list(truth.products.values()), str(home))
    assert len(lines) == len(truth.products)
    db = open_database(db_url)
    try:
        store = Store(db)
        return {asin: store.product_history(asin, p.marketplace)[-1] for asin, p in truth.products.items()}
    finally:
        db.close()


def money(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def expected_fields(t: Any) -> dict[str, Any]:
    """What the product page shows over plain HTTP, from the catalog's truth."""
    coupon = t.coupon
    return {
        "outcome": "ok",
        "title": t.title,
        "brand": t.brand,
        "currency": t.currency,
        "price": money(t.price),
        "list_price": money(t.list_price),
        "buybox_state": t.buybox_state,
        "buybox_seller": t.seller,
        "buybox_seller_id": t.seller_id,
        "ships_from": t.ships_from,
        "fulfilled_by_amazon": t.fba if t.seller else None,
        "in_stock": t.in_stock,
        "rating": Decimal(t.rating) if t.rating else None,
        "review_count": t.review_count,
        "rating_histogram": dict(t.histogram) if t.histogram else None,
        "top_review_ids": [r.id for r in t.reviews],
        "coupon_percent": Decimal(coupon["percent"]) if coupon and "percent" in coupon else None,
        "coupon_amount": money(coupon.get("amount")) if coupon else None,
        "has_coupon": coupon is not None,
        "deal_badge": None if t.deal_js_only else t.deal,  # a browser-only badge is not in the HTML
        "other_sellers_count": t.other_sellers_count,
        "offer_sellers": [o.seller_id for o in t.offers] if t.other_sellers_count else None,
        "bsr": [(r, c) for r, c in t.bsr],
        "breadcrumbs": list(t.breadcrumbs),
        "bullets": list(t.bullets),
        "main_image": t.images[0] if t.images else None,
        "has_aplus": True if t.has_aplus else None,  # the parser says None, not False: A+ may load late
        "parent_asin": t.parent,
        "variation_asins": sorted(t.variation_asins),
    }


def observed_fields(s: ProductSnapshot) -> dict[str, Any]:
    return {
        "outcome": s.outcome.value,
        "title": s.title,
        "brand": s.brand,
        "currency": s.currency,
        "price": s.price.amount if s.price else None,
        "list_price": s.list_price.amount if s.list_price else None,
        "buybox_state": s.buybox_state.value if s.buybox_state else None,
        "buybox_seller": s.buybox_seller,
        "buybox_seller_id": s.buybox_seller_id,
        "ships_from": s.ships_from,
        "fulfilled_by_amazon": s.fulfilled_by_amazon,
        "in_stock": s.in_stock,
        "rating": s.rating,
        "review_count": s.review_count,
        "rating_histogram": s.rating_histogram,
        "top_review_ids": [r.id for r in s.top_reviews],
        "coupon_percent": s.coupon.percent if s.coupon else None,
        "coupon_amount": s.coupon.amount.amount if s.coupon and s.coupon.amount else None,
        "has_coupon": s.coupon is not None,
        "deal_badge": s.deal_badge,
        "other_sellers_count": s.other_sellers_count,
        "offer_sellers": [o.seller_id for o in s.offers] if s.other_sellers_count else None,
        "bsr": [(r.rank, r.category) for r in s.bsr],
        "breadcrumbs": list(s.breadcrumbs),
        "bullets": list(s.bullets),
        "main_image": s.images[0] if s.images else None,
        "has_aplus": s.has_aplus,
        "parent_asin": s.parent_asin,
        "variation_asins": sorted(s.variation_asins),
    }


def test_catalog_covers_the_cases_that_matter() -> None:
    truth = catalog.load("day1")
    for tag in ("coupon", "deal", "other_sellers", "sold_by_amazon", "out_of_stock", "older_layout"):
        assert truth.tagged(tag), tag
    assert len(truth.products) >= 12
    assert {p.marketplace for p in truth.products.values()} >= {"us", "de", "jp"}


@pytest.mark.parametrize("asin", sorted(catalog.load("day1").products))
@pytest.mark.stores_data
def test_every_field_matches_the_catalog(crawled: dict[str, ProductSnapshot], asin: str) -> None:
    truth = catalog.load("day1").products[asin]
    expected, observed = expected_fields(truth), observed_fields(crawled[asin])
    wrong = {k: (expected[k], observed[k]) for k in expected if expected[k] != observed[k]}
    assert not wrong, f"{truth.key} ({truth.layout} layout): field: (catalog, parsed) {wrong}"

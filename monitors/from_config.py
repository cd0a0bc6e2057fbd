"""The monitors' settings from a watchlist: identities, watched subjects and thresholds.

Competitors are mapped to the own ASINs they compete with: the product's `versus` list when the config
gives one, else every own ASIN on the same marketplace. A keyword without `track` tracks every own ASIN
of its marketplace.
"""
from __future__ import annotations

from crawler.config import Config
from crawler.store import list_key
from monitors.settings import MonitorSettings, OwnProduct, TrackedKeyword, TrackedList


def settings_from_config(config: Config) -> MonitorSettings:
    own_by_market: dict[str, list[str]] = {}
    own_products = []
    for p in config.products:
        if not p.own:
            continue
        if p.asin not in own_by_market.setdefault(p.marketplace, []):
            own_by_market[p.marketplace].append(p.asin)
        e = p.expected
        own_products.append(OwnProduct(
            asin=p.asin, marketplace=p.marketplace, title=e.title, brand=e.brand, main_image=e.main_image,
            bullets_count=e.bullets, category=e.category, price_floor=p.price_floor))

    competitors: dict[str, tuple[str, ...]] = {}
    for p in config.products:
        if p.own:
            continue
        versus = p.versus or tuple(own_by_market.get(p.marketplace, ()))
        # One ASIN can be a competitor on several marketplaces: it competes with all of their own ASINs.
        merged = competitors.get(p.asin, ())
        competitors[p.asin] = merged + tuple(a for a in versus if a not in merged)

    keywords = tuple(
        TrackedKeyword(k.term, k.marketplace, k.track or tuple(own_by_market.get(k.marketplace, ())), k.top_n)
        for k in config.keywords)
    lists = tuple(TrackedList(list_key(lt.path)[0], lt.marketplace, lt.top_n) for lt in config.lists)

    markets = config.marketplaces
    t = config.thresholds
    return MonitorSettings(
        own_seller_ids={code: frozenset(m.own_seller_ids) for code, m in markets.items() if m.own_seller_ids},
        own_seller_names=tuple(dict.fromkeys(n for m in markets.values() for n in m.own_seller_names)),
        authorised_seller_ids=frozenset(i for m in markets.values() for i in m.authorised_seller_ids),
        own_products=tuple(own_products),
        competitors=competitors,
        keywords=keywords,
        lists=lists,
        watched_brands=tuple(dict.fromkeys(b.name for b in config.brands)),
        buybox_share_min=t.buybox_share_percent,
        rating_step=t.rating_step,
        rating_floor=t.rating_floor,
        price_change_percent=t.price_change_percent,
        rank_move=t.rank_move,
        bsr_move_percent=t.bsr_move_percent,
        keyword_fall_runs=t.keyword_fall_runs,
        newcomer_runs=t.newcomer_runs,
        blocked_ratio=t.blocked_ratio_percent,
        missing_ratio=t.missing_field_percent,
    )

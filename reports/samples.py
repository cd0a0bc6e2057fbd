"""Sample alerts and chart series covering every report section, for tests, the benchmark and demos.

`scraped="zh"` gives Chinese seller names and titles (a marketplace seen through Chinese eyes), to check
that a zh-CN report carries no English beyond ASINs, currency codes and product names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from monitors.base import Alert, Lifecycle, Severity, SubjectKind
from reports.model import Point

_TEXT = {
    "en": {
        "seller": "QuickDeals Store",
        "own": "Acme Official",
        "title": "Acme Wireless Earbuds, 40h Battery",
        "comp_title": "Generic Earbuds Pro",
        "keyword": "wireless earbuds",
        "list": "Best Sellers in Earbuds",
        "brand": "Soundcore",
        "coupon_before": "Save 10%",
        "coupon_after": "Save $5.00",
        "review": "Broke after a week",
        "category": "Electronics",
        "new_title": "Soundcore Mini 3",
    },
    "zh": {
        "seller": "快捷优品店",
        "own": "声学旗舰店",
        "title": "声学无线蓝牙耳机 四十小时续航",
        "comp_title": "通用降噪耳机",
        "keyword": "蓝牙耳机",
        "list": "耳机畅销榜",
        "brand": "声阔",
        "coupon_before": "立减一成",
        "coupon_after": "立减五元",
        "review": "用了一周就坏了",
        "category": "电子产品",
        "new_title": "声阔迷你三代",
    },
}


def sample_titles(scraped: Literal["en", "zh"] = "en", hostile_title: str | None = None) -> dict[str, str]:
    """Product titles by ASIN; `hostile_title` replaces the first (to check escaping)."""
    t = _TEXT[scraped]
    return {"B0OWN00001": hostile_title or t["title"], "B0COMP0001": t["comp_title"]}


def sample_alerts(now: datetime, *, scraped: Literal["en", "zh"] = "en") -> list[Alert]:
    t = _TEXT[scraped]
    P, K, L, B, C = (
        SubjectKind.PRODUCT,
        SubjectKind.KEYWORD,
        SubjectKind.LIST,
        SubjectKind.BRAND,
        SubjectKind.CRAWL,
    )
    crit, warn, info = Severity.CRITICAL, Severity.WARNING, Severity.INFO
    usd = {"currency": "USD"}
    return [
        Alert(
            "buybox_lost",
            crit,
            P,
            "B0OWN00001",
            "us",
            "buybox.lost",
            {**usd, "seller": t["seller"], "seller_id": "A1SELLER", "price": Decimal("17.99"), "fba": False},
            field="buybox_seller",
            before=t["own"],
            after=t["seller"],
            url="https://www.amazon.com/dp/B0OWN00001",
        ),
        Alert(
            "sellers_new",
            warn,
            P,
            "B0OWN00001",
            "us",
            "sellers.new",
            {**usd, "seller": t["seller"], "seller_id": "A1SELLER", "price": Decimal("17.99")},
            field="seller",
            after=t["seller"],
            discriminator="A1SELLER",
        ),
        Alert(
            "ratings_fell",
            warn,
            P,
            "B0OWN00002",
            "us",
            "ratings.fell",
            {"before": Decimal("4.5"), "after": Decimal("4.2"), "review_count": 1234},
            field="rating",
            before=Decimal("4.5"),
            after=Decimal("4.2"),
        ),
        Alert(
            "ratings_low_star",
            info,
            P,
            "B0OWN00002",
            "us",
            "ratings.new_low_star_review",
            {"stars": 1, "title": t["review"], "review_id": "R1ABC", "verified": True},
            field="top_reviews",
        ),
        Alert(
            "promotions_coupon",
            warn,
            P,
            "B0OWN00002",
            "us",
            "promotions.coupon_changed",
            {"own": True, "before": t["coupon_before"], "after": t["coupon_after"]},
            field="coupon",
            before=t["coupon_before"],
            after=t["coupon_after"],
            lifecycle=Lifecycle.STILL,
            since=now - timedelta(days=2),
        ),
        Alert(
            "competitor_price",
            warn,
            P,
            "B0COMP0001",
            "us",
            "prices.crossed_below",
            {
                **usd,
                "before": Decimal("18.99"),
                "after": Decimal("15.49"),
                "percent": Decimal("-18.4"),
                "own_asin": "B0OWN00001",
                "own_price": Decimal("17.99"),
            },
            field="price",
            before=Decimal("18.99"),
            after=Decimal("15.49"),
        ),
        Alert(
            "bsr_moved",
            info,
            P,
            "B0COMP0001",
            "us",
            "bestsellers.bsr_moved",
            {
                "own": False,
                "category": t["category"],
                "before": 1520,
                "after": 310,
                "percent": Decimal("-79.6"),
            },
            field="bsr",
            before=1520,
            after=310,
        ),
        Alert(
            "keyword_top_n",
            warn,
            K,
            t["keyword"],
            "us",
            "keywords.out_of_top_n",
            {"asin": "B0OWN00001", "position": 14, "before": 4, "top_n": 10},
            field="organic_position",
            before=4,
            after=14,
        ),
        Alert(
            "keyword_banner",
            info,
            K,
            t["keyword"],
            "us",
            "keywords.sponsored_banner",
            {"brand": t["brand"], "kind": "brand", "asins": ["B0NEW00001"]},
            field="banner",
        ),
        Alert(
            "list_new_entrant",
            info,
            L,
            t["list"],
            "us",
            "bestsellers.new_entrant",
            {
                **usd,
                "asin": "B0NEW00001",
                "rank": 7,
                "title": t["new_title"],
                "price": Decimal("29.99"),
                "top_n": 50,
            },
            field="rank",
            after=7,
        ),
        Alert(
            "new_listings",
            info,
            B,
            t["brand"],
            "us",
            "newlistings.new_asin",
            {
                **usd,
                "brand": t["brand"],
                "asin": "B0NEW00001",
                "title": t["new_title"],
                "price": Decimal("29.99"),
            },
            field="asin",
            after="B0NEW00001",
        ),
        Alert(
            "crawl_blocked",
            crit,
            C,
            "product",
            "us",
            "health.blocked",
            {"kind": "product", "count": 4, "total": 50, "percent": Decimal("8.0"), "threshold": 5},
        ),
        Alert(
            "future",
            info,
            P,
            "B0OWN00002",
            "us",
            "some.future_key",
            {"own": True},
            field="image_count",
            before=7,
            after=6,
        ),
        Alert(
            "promotions_deal",
            warn,
            P,
            "B0OWN00003",
            "us",
            "promotions.deal_disappeared",
            {"own": True},
            field="deal_badge",
            before=t["coupon_before"],
            lifecycle=Lifecycle.RESOLVED,
        ),
    ]


def sample_series(now: datetime, days: int = 30) -> dict[str, dict[str, list[Point]]]:
    def line(start: float, step: float, wobble: float, digits: str) -> list[Point]:
        return [
            (
                now - timedelta(days=days - i),
                Decimal(str(round(start + step * i + wobble * ((i * 7) % 5 - 2), 2))).quantize(
                    Decimal(digits)
                ),
            )
            for i in range(days)
        ]

    series: dict[str, dict[str, list[Point]]] = {
        "B0OWN00001": {"price": line(19.99, -0.05, 0.3, "0.01")},
        "B0OWN00002": {"rating": line(4.6, -0.01, 0.02, "0.1")},
        "B0COMP0001": {
            "price": line(18.99, -0.1, 0.2, "0.01"),
            "rank": [(p[0], int(p[1] or 0)) for p in line(1600, -40, 30, "1")],
        },
    }
    series["wireless earbuds"] = series["蓝牙耳机"] = {
        "position": [(p[0], int(p[1] or 0)) for p in line(3, 0.4, 1, "1")]
    }
    return series


def many_alerts(now: datetime, n: int = 1000) -> list[Alert]:
    """`n` alerts in the proportions of a bad morning on a big catalogue."""
    base = sample_alerts(now)
    out = []
    for i in range(n):
        a = base[i % len(base)]
        sev = Severity.CRITICAL if i % 50 == 0 else Severity.WARNING if i % 4 == 0 else Severity.INFO
        subject = a.subject if a.subject_kind is not SubjectKind.PRODUCT else f"B0X{i:07d}"
        out.append(
            Alert(
                a.monitor,
                sev,
                a.subject_kind,
                subject,
                a.marketplace,
                a.message_key,
                a.params,
                a.field,
                a.before,
                a.after,
                a.since,
                None,
                a.lifecycle,
                None,
                str(i),
            )
        )
    return out

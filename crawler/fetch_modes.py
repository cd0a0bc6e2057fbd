"""How each target of a crawl is fetched (http | browser | auto), and what the crawl needs for that:
a browser at all, the delivery locations to set, the proxies to rotate over."""

from __future__ import annotations

import dataclasses
from typing import Any

from crawler.targets import Targets

FETCH_MODES = ("http", "browser", "auto")


def with_fetch_modes(cfg: Any, targets: Targets, override: str | None = None) -> Targets:
    """Targets with their fetch mode: `override` (the command line), else the product's own `fetch`,
    else its marketplace's, else the watchlist's. Keywords, brands and lists follow their marketplace."""
    def mode(marketplace: str, target: Any = None) -> str:
        return override or cfg.fetch_mode(marketplace, target)

    products = tuple(dataclasses.replace(t, fetch=override or t.fetch) for t in targets.products)
    searches = tuple(dataclasses.replace(s, fetch=mode(s.marketplace)) for s in targets.searches)
    lists = tuple(dataclasses.replace(lt, fetch=mode(lt.marketplace)) for lt in targets.lists)
    return Targets(products, searches, lists)


def needs_browser(targets: Targets) -> bool:
    """Whether any target may be read in a browser (only then is Playwright installed and started)."""
    every = (*targets.products, *targets.searches, *targets.lists)
    return any(getattr(t, "fetch", "http") in ("browser", "auto") for t in every)


def locations(cfg: Any, targets: Targets, base_url: str | None = None) -> dict[str, tuple[str, str]]:
    """marketplace -> (shop front, postcode) for each crawled marketplace with a delivery postcode."""
    every: tuple[Any, ...] = (*targets.products, *targets.searches, *targets.lists)
    markets = {t.marketplace for t in every}
    return {m: (cfg.base_url(m, base_url), cfg.marketplaces[m].postcode)
            for m in sorted(markets) if cfg.marketplaces[m].postcode}


def browser_pages(stats: dict[str, Any]) -> dict[str, Any]:
    """Run-summary counts of the browser's share of the crawl."""
    moved = {k.removeprefix("browser/moved/"): int(v) for k, v in stats.items()
             if str(k).startswith("browser/moved/")}
    return {"browser_pages": int(stats.get("browser/pages", 0)), "moved_to_browser": moved}

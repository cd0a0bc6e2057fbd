"""`storewatch demo`: the whole loop against the embedded offline storefront, with no setup."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    home: Annotated[Path | None, typer.Option("--home", help="Where the demo keeps its database "
                                              "(default: demo/ in the data directory, emptied first).")] = None,
) -> None:
    """Crawl the offline storefront on day 1 and day 2 and show what changed."""
    from rich.console import Console

    from crawler.paths import data_dir, ensure_private_dir
    from fixtures.storefront import Storefront

    console = Console(highlight=False)
    home = ensure_private_dir(home or data_dir() / "demo")
    db_file = home / "demo.db"
    for leftover in home.glob("demo.db*"):
        leftover.unlink()
    db_url = f"sqlite:///{db_file}"
    with Storefront(scenario="day1") as shop:
        targets = demo_targets()
        console.print(f"Offline storefront at {shop.url}: {len(targets)} products in "
                      f"{len({m for m, _ in targets})} marketplaces.")
        results: dict[str, list[dict[str, Any]]] = {}
        for day in ("day1", "day2"):
            shop.set_scenario(day)
            with console.status(f"crawling {day} ..."):
                results[day] = crawl_in_process(targets, shop.url, db_url)
            ok = sum(r["outcome"] == "ok" for r in results[day])
            console.print(f"{day}: {ok}/{len(results[day])} product pages read")
    print_day2_changes(console, results["day2"])
    console.print(f"\nDatabase: {db_file}")


def demo_targets() -> list[tuple[str, str]]:
    """A few products from each marketplace of the storefront's catalog."""
    from fixtures.storefront.catalog import load

    catalog = load("day1")
    by_market: dict[str, list[str]] = {}
    for asin, product in catalog.products.items():
        by_market.setdefault(product.marketplace, []).append(asin)
    return [(mk, asin) for mk, asins in sorted(by_market.items()) for asin in asins[:4]]


def crawl_in_process(targets: list[tuple[str, str]], base_url: str, db_url: str) -> list[dict[str, Any]]:
    """One crawl per process (a Twisted reactor cannot restart): run `crawler.batch` and read its lines."""
    cmd = [sys.executable, "-m", "crawler.batch", "--base-url", base_url, "--db", db_url,
           *[f"{mk}:{asin}" for mk, asin in targets]]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the demo crawl failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def print_day2_changes(console: Any, rows: list[dict[str, Any]]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="What changed from day 1 to day 2")
    for col in ("marketplace", "asin", "field", "before", "after"):
        table.add_column(col, overflow="fold", max_width=50)
    for row in rows:
        if row["outcome"] != "ok":
            table.add_row(row["marketplace"], row["asin"], "outcome", "", escape(f"{row['outcome']}: {row['reason']}"))
        for c in row["changes"]:
            table.add_row(row["marketplace"], row["asin"], c["field"], escape(_short(c["before"])),
                          escape(_short(c["after"])))
    console.print(table)


def _short(value: Any) -> str:
    """A change value in one short line: offers by seller, a coupon by its text."""
    if isinstance(value, list) and value and isinstance(value[0], dict) and "seller" in value[0]:
        return "; ".join(f"{o['seller']} ({o['seller_id']}) {o['price'] or '?'}" for o in value)
    if isinstance(value, dict) and "text" in value:
        return value["text"]
    if value is None:
        return "—"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 120 else text[:117] + "..."

"""`storewatch monitor / alerts / history / export` through `main(argv)` on a database filled with the Store API."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crawler import cli
from crawler.commands import alerts as alert_commands
from crawler.commands.alerts import parse_since, sparkline
from monitors.base import Alert
from tests.conftest import db_url_for
from tests.stored_runs import (
    COMP,
    KEYWORD,
    LIST_PATH,
    OWN,
    coupon,
    days_ago,
    list_page,
    lost,
    open_store,
    product,
    search_page,
    start_run,
    usd,
    write_config,
)

# Tests here store data through db_url_for: the PostgreSQL pass runs this module too.
pytestmark = pytest.mark.stores_data


@pytest.fixture(autouse=True)
def registered() -> Iterator[None]:
    """The commands on the CLI (until crawler/cli.py registers them), removed again after the test."""
    yield from with_alert_commands()


def with_alert_commands() -> Iterator[None]:
    before = list(cli.app.registered_commands)
    if "alerts" not in {c.name for c in before}:
        alert_commands.register(cli.app)
    try:
        yield
    finally:
        cli.app.registered_commands[:] = before


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(tmp_path: Path) -> tuple[str, Path, list[int]]:
    """Three daily crawls: the buy box is lost on day 2, a competitor's price and coupon move, ranks move."""
    url, store = open_store(tmp_path)
    ids = []
    prices = ["24.99", "19.49", "19.49"]
    for i in range(3):
        t = days_ago(3 - i)
        rid = start_run(store, t)
        make = lost if i >= 1 else product
        store.save_product(rid, make(OWN, t + timedelta(minutes=1), rating=Decimal("4.6") - Decimal(i) / 10))
        comp = product(COMP, t + timedelta(minutes=2), price=None, coupon=coupon("10")) if i == 1 else None
        store.save_product(rid, comp or product(
            COMP, t + timedelta(minutes=2), price=usd(prices[i]), coupon=coupon("10") if i < 2 else None,
            deal_badge="Limited time deal" if i == 2 else None))
        own_at = [3, 7, 12][i]
        cards = [f"B0X{n:07d}" for n in range(1, 20)]  # 10 characters, as ASINs are
        cards.insert(own_at - 1, OWN)
        store.save_search_page(rid, search_page(KEYWORD, 1, ["*" + COMP] + cards[:10]), t)
        store.save_search_page(rid, search_page(KEYWORD, 2, cards[10:]), t)  # counted on the page, as crawled
        store.save_list_page(rid, list_page(1, [COMP, OWN] if i < 2 else [OWN, COMP]), t)
        store.save_list_page(rid, list_page(2, ["B0L0000002"], first_rank=51), t)
        store.finish_run(rid, "complete", {})
        ids.append(rid)
    store.db.close()
    return url, write_config(tmp_path), ids


def test_monitor_then_alerts_json_has_every_alert_field(capsys: pytest.CaptureFixture[str], filled: Any) -> None:
    url, config, ids = filled
    for rid in ids:
        code, out, _ = run_cli(capsys, "monitor", "--config", str(config), "--run", str(rid), "--db", url)
        assert code == 0
    assert "buybox_lost" in out and f"run {ids[-1]}" in out
    code, out, _ = run_cli(capsys, "alerts", "--json", "--db", url)
    assert code == 0
    data = json.loads(out)
    fields = set(Alert.__dataclass_fields__)
    assert data and all(set(a) == fields for a in data)
    found = {(a["monitor"], a["subject"], a["field"], a["lifecycle"]) for a in data}
    assert ("buybox_lost", OWN, "buybox_seller", "still") in found
    assert ("rating_fell", OWN, "rating", "opened") in found
    assert ("keyword_out_of_top_n", KEYWORD, "organic_position", "still") in found  # 7th, then 12th
    assert ("own_list_position", LIST_PATH, "rank", "opened") not in found  # still in the top 5
    lost_alert = next(a for a in data if a["monitor"] == "buybox_lost")
    assert lost_alert["before"] == "AHIJACKER001" and lost_alert["after"] == "AHIJACKER001"
    assert lost_alert["severity"] == "critical" and lost_alert["since"].startswith(days_ago(2).date().isoformat())
    # An older run by id, as a table.
    code, out, _ = run_cli(capsys, "alerts", "--run", str(ids[1]), "--db", url)
    assert code == 0 and "buybox_lost" in out and "opened" in out


def test_alerts_on_a_database_without_runs_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "alerts", "--db", db_url_for(tmp_path, "empty.db"))
    assert code == 2 and "no finished run" in err
    code, _, err = run_cli(capsys, "alerts", "--run", "x1", "--db", db_url_for(tmp_path, "empty.db"))
    assert code == 2 and "--run" in err


def test_history_of_a_product_field_as_json_and_table(capsys: pytest.CaptureFixture[str], filled: Any) -> None:
    url, _, _ = filled
    code, out, _ = run_cli(capsys, "history", COMP, "--field", "price", "--json", "--db", url)
    assert code == 0
    data = json.loads(out)
    assert data["marketplace"] == "us" and data["kind"] == "product"
    assert [(p["value"], p["currency"]) for p in data["points"]] == [
        ("24.99", "USD"), (None, None), ("19.49", "USD")]
    code, out, _ = run_cli(capsys, "history", OWN, "--field", "rating", "--db", url)
    assert code == 0 and "4.4" in out and "█" in out and "▁" in out
    code, _, err = run_cli(capsys, "history", OWN, "--field", "colour", "--db", url)
    assert code == 2 and "--field" in err


def test_history_of_keyword_positions_and_list_ranks(capsys: pytest.CaptureFixture[str], filled: Any) -> None:
    url, config, _ = filled
    code, out, _ = run_cli(capsys, "history", KEYWORD, "--asin", OWN, "--asin", COMP, "--json", "--db", url)
    assert code == 0
    points = json.loads(out)["points"]
    assert [p["positions"][OWN] for p in points] == [{"organic": 3}, {"organic": 7}, {"organic": 12}]
    assert [p["positions"][COMP] for p in points] == [{"sponsored": 1}] * 3
    code, out, _ = run_cli(capsys, "history", LIST_PATH, "--json", "--db", url)
    assert code == 0
    points = json.loads(out)["points"]
    assert [p["positions"][OWN]["rank"] for p in points] == [2, 2, 1]
    code, out, _ = run_cli(capsys, "history", KEYWORD, "--asin", OWN, "--db", url)
    assert code == 0 and "12" in out
    # The watchlist's tracked ASINs: the keyword tracks only the own one.
    code, out, _ = run_cli(capsys, "history", KEYWORD, "--config", str(config), "--json", "--db", url)
    assert code == 0 and [list(p["positions"]) for p in json.loads(out)["points"]] == [[OWN]] * 3
    code, _, err = run_cli(capsys, "history", "no such keyword", "--db", url)
    assert code == 2 and "nothing stored" in err


def test_export_products_csv(capsys: pytest.CaptureFixture[str], filled: Any) -> None:
    url, _, _ = filled
    code, out, _ = run_cli(capsys, "export", "--what", "products", "--format", "csv", "--db", url)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    comp = [r for r in rows if r["asin"] == COMP]
    assert [(r["outcome"], r["price"], r["currency"]) for r in comp] == [
        ("ok", "24.99", "USD"), ("ok", "", "USD"), ("ok", "19.49", "USD")]
    assert [r["coupon"] for r in comp] == ["Save 10%", "Save 10%", ""]
    assert len(rows) == 6


def test_export_keywords_xlsx_has_organic_and_sponsored_columns(capsys: pytest.CaptureFixture[str],
                                                                filled: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    url, _, _ = filled
    out = tmp_path / "kw.xlsx"
    code, _, err = run_cli(capsys, "export", "--what", "keywords", "--format", "xlsx", "--out", str(out), "--db", url)
    assert code == 0 and "wrote 2 row(s)" in err
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    days = [days_ago(n).date().isoformat() for n in (3, 2, 1)]
    assert header == ["keyword", "marketplace", "asin"] + [f"{d} {k}" for d in days for k in ("organic", "sponsored")]
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[OWN][3:] == (3, None, 7, None, 12, None)
    assert rows[COMP][3:] == (None, 1, None, 1, None, 1)
    assert ws.freeze_panes == "D2"
    assert ws["E2"].value == 1 and ws["E2"].number_format == "0"


def test_export_products_and_promotions_xlsx_keep_money_as_numbers(capsys: pytest.CaptureFixture[str],
                                                                    filled: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    url, _, _ = filled
    out = tmp_path / "p.xlsx"
    assert run_cli(capsys, "export", "--what", "products", "--format", "xlsx", "-o", str(out), "--db", url)[0] == 0
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    price = header.index("price") + 1
    cells = [ws.cell(row=r, column=price) for r in range(2, ws.max_row + 1)]
    numbers = [c for c in cells if c.value is not None]
    assert numbers and all(isinstance(c.value, (int, float)) for c in numbers)
    assert {c.number_format for c in numbers} == {"#,##0.00"}
    assert 24.99 in [c.value for c in numbers]
    assert ws.cell(row=2, column=header.index("currency") + 1).value == "USD"
    assert ws.cell(row=2, column=1).number_format == "yyyy-mm-dd hh:mm"

    out = tmp_path / "promo.xlsx"
    assert run_cli(capsys, "export", "--what", "promotions", "--format", "xlsx", "-o", str(out), "--db", url)[0] == 0
    rows = list(load_workbook(out).active.iter_rows(min_row=2, values_only=True))
    by = {(r[1], r[2], r[3]): r for r in rows}
    coupon_row = by[(COMP, "coupon", "Save 10%")]
    assert coupon_row[4].date() == days_ago(3).date() and coupon_row[5].date() == days_ago(2).date()
    assert coupon_row[6:] == (2, False)  # gone on the last reading: expired
    assert by[(COMP, "deal", "Limited time deal")][6:] == (1, True)


def test_export_lists_and_alerts_csv(capsys: pytest.CaptureFixture[str], filled: Any, tmp_path: Path) -> None:
    url, config, ids = filled
    code, out, _ = run_cli(capsys, "export", "--what", "lists", "--db", url)
    rows = {r["asin"]: r for r in csv.DictReader(io.StringIO(out))}
    days = [days_ago(n).date().isoformat() for n in (3, 2, 1)]
    assert [rows[OWN][d] for d in days] == ["2", "2", "1"]
    assert [rows[COMP][d] for d in days] == ["1", "1", "2"]
    assert "B0L0000002" not in rows  # ranked 51 and not watched
    for rid in ids:
        run_cli(capsys, "monitor", "--config", str(config), "--run", str(rid), "--db", url)
    target = tmp_path / "alerts.csv"
    code, _, _ = run_cli(capsys, "export", "--what", "alerts", "--out", str(target), "--db", url)
    assert code == 0
    rows2 = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert {r["run"] for r in rows2} <= {str(i) for i in ids} and str(ids[2]) in {r["run"] for r in rows2}
    lost_rows = [r for r in rows2 if r["monitor"] == "buybox_lost"]
    assert [(r["run"], r["lifecycle"]) for r in lost_rows] == [(str(ids[1]), "opened"), (str(ids[2]), "still")]
    assert all(r["message"] for r in rows2)
    code, _, err = run_cli(capsys, "export", "--what", "colours", "--db", url)
    assert code == 2 and "--what" in err


def test_subject_kinds() -> None:
    from crawler.commands.alerts import subject_kind

    assert [subject_kind(s) for s in ("B0OWN00001", "b0own00001", "000004458X", "waterproof", "garlic press",
                                      "/gp/bestsellers/kitchen", "https://www.amazon.com/gp/bestsellers")] == [
        "product", "product", "product", "keyword", "keyword", "list", "list"]


def test_since_and_sparkline() -> None:
    now = days_ago(0)
    assert parse_since("30d", now) == now - timedelta(days=30)
    assert parse_since("12h", now) == now - timedelta(hours=12)
    assert parse_since("2026-11-01").isoformat() == "2026-11-01T00:00:00+00:00"
    assert sparkline([1, None, 8, 4.5]) == "▁ █▄"
    assert sparkline([5, 5]) == "▁▁" and sparkline([None]) == ""

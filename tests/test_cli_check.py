"""`storewatch check` end to end against the offline storefront: the JSON contract, exit codes, outcomes,
and what changed across a day1 -> day2 switch. Each check runs in its own process, as a user runs it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.records import PRODUCT_FIELDS
from fixtures.storefront import catalog
from tests.conftest import db_url_for

# Tests here store data through db_url_for: the PostgreSQL pass runs this module too.
pytestmark = pytest.mark.stores_data

ROOT = Path(__file__).resolve().parent.parent
TRUTH = catalog.load("day1")


def by_key(key: str) -> Any:
    return TRUTH.by_key(key)


def storewatch(*args: str, home: Path) -> tuple[int, dict[str, Any] | None, str, str]:
    env = {**os.environ, "STOREWATCH_HOME": str(home), "STOREWATCH_DB": db_url_for(home, "sw.db")}
    proc = subprocess.run([sys.executable, "-c", "from crawler.cli import entry; entry()", *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False)
    try:
        data = json.loads(proc.stdout) if "--json" in args else None
    except json.JSONDecodeError:
        data = None
    return proc.returncode, data, proc.stdout, proc.stderr


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def test_json_has_exactly_the_documented_keys_and_money_as_strings(storefront_reset, home: Path) -> None:
    bottle = by_key("us-bottle")
    rc, data, _, err = storewatch("check", bottle.asin, "--base-url", storefront_reset.url, "--json", home=home)
    assert rc == 0, err
    assert data is not None and list(data) == [*PRODUCT_FIELDS, "changes"]
    assert data["outcome"] == "ok" and data["price"] == bottle.price == "24.99"
    assert data["list_price"] == "29.99" and data["currency"] == "USD"
    assert data["buybox_seller_id"] == bottle.seller_id
    assert data["coupon"]["percent"] == "10"
    # the offers panel was fetched: one row per offer, buy-box offer first
    assert [o["seller_id"] for o in data["offers"]] == [o.seller_id for o in bottle.offers]
    assert data["offers"][0]["is_buybox"] is True and data["offers"][1]["shipping"] == "5.99"
    assert data["changes"] == []  # first check: nothing stored before


def test_readable_table_and_second_check_without_changes(storefront_reset, home: Path) -> None:
    lantern = by_key("jp-lantern")
    args = ("check", lantern.asin, "--marketplace", "jp", "--base-url", storefront_reset.url)
    rc, _, out, err = storewatch(*args, home=home)
    assert rc == 0, err
    assert "東京トレーディング" in out and "No earlier check" in out
    rank, category = lantern.bsr[0]
    assert f"#{rank:,} in {category}" in out  # best-sellers ranks spelled out, not counted
    rc, _, out, _ = storewatch(*args, home=home)
    assert rc == 0 and "No change since" in out


def test_changes_across_day1_to_day2(storefront_reset, home: Path) -> None:
    bottle = by_key("us-bottle")
    args = ("check", bottle.asin, "--base-url", storefront_reset.url, "--json")
    assert storewatch(*args, home=home)[0] == 0
    storefront_reset.set_scenario("day2")
    day2 = catalog.load("day2").products[bottle.asin]
    rc, data, _, err = storewatch(*args, home=home)
    assert rc == 0, err
    changes = {c["field"]: c for c in data["changes"]}
    assert changes["price"]["before"] == "24.99" and changes["price"]["after"] == day2.price
    assert changes["coupon"]["before"]["percent"] == "10" and changes["coupon"]["after"] is None
    assert "offers" in changes and "other_sellers_count" in changes  # a new hijacker joined
    assert all(c["since"] for c in data["changes"])
    assert "title" not in changes  # unchanged fields are not listed


def test_robot_check_with_http_200_is_blocked_and_not_stored_as_ok(storefront_reset, home: Path) -> None:
    mat = by_key("us-mat")
    storefront_reset.set_failures(f"robot=1:path=/dp/{mat.asin}")
    rc, data, _, err = storewatch("check", mat.asin, "--base-url", storefront_reset.url, "--json", home=home)
    assert rc == 3
    assert data["outcome"] == "blocked" and data["title"] is None and data["price"] is None
    assert "blocked" in err and "robot" in err.lower()
    storefront_reset.set_failures(None)
    rc, data, _, _ = storewatch("check", mat.asin, "--base-url", storefront_reset.url, "--json", home=home)
    assert rc == 0 and data["changes"] == []  # the blocked page was never the "last ok snapshot"


def test_truncated_page_is_parse_incomplete_naming_missing_fields(storefront_reset, home: Path) -> None:
    knife = by_key("us-knife")
    storefront_reset.set_failures(f"truncate=1:path=/dp/{knife.asin}")
    rc, data, _, err = storewatch("check", knife.asin, "--base-url", storefront_reset.url, "--json",
                                  "--no-save", home=home)
    assert rc == 0, err
    assert data["outcome"] == "parse_incomplete"
    assert data["reason"] and "missing" in data["reason"]
    assert "read only in part" in err


def test_unavailable_listing_is_ok_with_no_price(storefront_reset, home: Path) -> None:
    stove = by_key("us-stove")
    rc, data, _, err = storewatch("check", stove.asin, "--base-url", storefront_reset.url, "--json", home=home)
    assert rc == 0, err
    assert data["outcome"] == "ok" and data["buybox_state"] == "unavailable"
    assert data["price"] is None and data["in_stock"] is False


@pytest.mark.parametrize("failure,outcome", [("404=1", "not_found"), ("503=1", "blocked"),
                                             ("signin=1", "blocked")])
def test_unreadable_pages_exit_3_with_outcome(storefront_reset, home: Path, failure: str, outcome: str) -> None:
    tent = by_key("us-tent")
    storefront_reset.set_failures(f"{failure}:path=/dp/{tent.asin}")
    rc, data, _, err = storewatch("check", tent.asin, "--base-url", storefront_reset.url, "--json", home=home)
    assert rc == 3, err
    assert set(data) >= {"asin", "marketplace", "outcome", "reason"}
    assert data["outcome"] in (outcome, "http_error") and data["reason"]


def test_variation_child_is_ok_with_its_parent(storefront_reset, home: Path) -> None:
    child = by_key("us-shirt-m")
    rc, data, _, err = storewatch("check", child.asin, "--base-url", storefront_reset.url, "--json", home=home)
    assert rc == 0, err
    assert data["outcome"] == "ok" and data["asin"] == child.asin
    assert data["parent_asin"] == child.parent and data["price"] == child.price


def test_a_check_never_loads_scrapys_remote_control(storefront_reset, home: Path) -> None:
    # Scrapy 2.19's RemoteControl runs Python code sent to a local port; unlisted, not even its module
    # (and aiohttp, ~75 ms of every check) is imported.
    bottle = by_key("us-bottle")
    env = {**os.environ, "STOREWATCH_HOME": str(home), "STOREWATCH_DB": db_url_for(home, "sw.db")}
    code = ("import sys; from crawler.cli import main; "
            f"rc = main(['check', '{bottle.asin}', '--base-url', '{storefront_reset.url}', '--json']); "
            "print('remote_control loaded:', 'scrapy.extensions.remote_control' in sys.modules, file=sys.stderr); "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["outcome"] == "ok"
    assert "remote_control loaded: False" in proc.stderr

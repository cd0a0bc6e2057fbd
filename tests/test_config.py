"""The watchlist config: valid files load into frozen objects; every error names file, line and key."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from crawler.config import ConfigError, load_config, parse_config

GOOD = """\
name = "acme"
[marketplaces.us]
own_seller_ids = ["A1B2C3D4E5F6G7"]
own_seller_names = ["Acme Store"]
[marketplaces.de]
base_url = "http://127.0.0.1:8000/"

[[products]]
asin = "b08n5wrwnw"
marketplace = "us"
own = true
price_floor = "19.99"
expected = { title = "Acme Yoga Mat", bullets = 5 }

[[keywords]]
term = "yoga mat"
marketplace = "us"
pages = 3
track = ["B08N5WRWNW"]

[[lists]]
path = "/gp/bestsellers/sports"
marketplace = "de"
"""


def test_good_config_loads_frozen_with_decimals() -> None:
    c = parse_config(GOOD, "watch.toml")
    assert c.products[0].asin == "B08N5WRWNW"  # normalised to upper case
    assert c.products[0].price_floor == Decimal("19.99") and isinstance(c.products[0].price_floor, Decimal)
    assert c.marketplaces["de"].base_url == "http://127.0.0.1:8000"
    assert c.base_url("us") == "https://www.amazon.com"
    assert c.base_url("de") == "http://127.0.0.1:8000"
    assert c.fetch_mode("us") == "http"
    with pytest.raises(ValidationError):
        c.products[0].own = False  # type: ignore[misc]


@pytest.mark.parametrize("old,new,line,key,words", [
    ("pages = 3", "pages = 30", 18, "keywords[1].pages", "less than or equal to 7"),
    ("own = true", "own = true\ncolour = 'red'", 12, "products[1].colour", "unknown key 'colour'"),
    ('asin = "b08n5wrwnw"', 'asin = "B08N"', 9, "products[1].asin", "not an ASIN"),
    ("[marketplaces.de]", "[marketplaces.de]\nfoo = 1", 6, "marketplaces.de.foo", "authorised_seller_ids, base_url"),
    ('own_seller_ids = ["A1B2C3D4E5F6G7"]', 'own_seller_ids = ["x"]', 3, "marketplaces.us.own_seller_ids",
     "not a seller id"),
    ('path = "/gp/bestsellers/sports"', 'path = "/dp/B08N5WRWNW"', 22, "lists[1].path", "not a list path"),
    ("[[keywords]]", "[[keywords]", 15, None, "not valid TOML"),
])
def test_errors_name_line_and_key(old: str, new: str, line: int, key: str | None, words: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as err:
        parse_config(GOOD.replace(old, new, 1), "watch.toml")
    assert err.value.line == line
    assert err.value.key == key
    assert words in str(err.value) and str(err.value).startswith("watch.toml")


def test_target_in_undeclared_marketplace_is_named() -> None:
    with pytest.raises(ConfigError, match=r"keywords\[1\] uses marketplace 'jp'"):
        parse_config(GOOD.replace('term = "yoga mat"\nmarketplace = "us"', 'term = "yoga mat"\nmarketplace = "jp"'))


def test_missing_file_says_how_to_make_one(tmp_path) -> None:
    with pytest.raises(ConfigError, match="storewatch init"):
        load_config(tmp_path / "nope.toml")


def test_example_written_by_init_is_valid() -> None:
    from importlib.resources import files

    c = parse_config(files("crawler").joinpath("example.toml").read_text(encoding="utf-8"), "example.toml")
    assert [p.own for p in c.products] == [True, False]
    assert c.keywords[0].track == ("B08N5WRWNW", "B07XJ8C8F5")


@pytest.mark.parametrize("url,ok", [
    ("http://127.0.0.1:8000", True), ("http://localhost:9", True), ("http://192.168.1.20", True),
    ("https://www.amazon.de", True), ("http://shop.local", True),
    ("https://www.amaz0n.de", False), ("http://8.8.8.8", False), ("https://example.com", False),
])
def test_base_url_must_be_amazon_or_local(url: str, ok: bool) -> None:
    text = GOOD.replace('base_url = "http://127.0.0.1:8000/"', f'base_url = "{url}"')
    if ok:
        assert parse_config(text).marketplaces["de"].base_url == url.rstrip("/")
        return
    with pytest.raises(ConfigError) as err:
        parse_config(text, "watch.toml")
    assert "allow_any_host" in str(err.value) and err.value.line == 5  # the [marketplaces.de] section
    allowed = parse_config(text.replace(f'base_url = "{url}"', f'base_url = "{url}"\nallow_any_host = true'))
    assert allowed.marketplaces["de"].base_url == url


def test_every_error_is_listed_with_its_line_in_file_order() -> None:
    # Two mistakes far apart: the user should see both at once, not one per run.
    text = GOOD.replace("own = true", "own = true\ncolour = 'red'", 1).replace("pages = 3", "pages = 30", 1)
    with pytest.raises(ConfigError) as err:
        parse_config(text, "watch.toml")
    assert [(line, key) for line, key, _ in err.value.problems] == [
        (12, "products[1].colour"), (19, "keywords[1].pages"),
    ]
    first, *rest = str(err.value).splitlines()
    assert first == "watch.toml: 2 errors"
    assert rest[0].startswith("  line 12, key 'products[1].colour': unknown key 'colour'")
    assert rest[1].startswith("  line 19, key 'keywords[1].pages':") and "less than or equal to 7" in rest[1]
    assert (err.value.line, err.value.key) == (12, "products[1].colour")  # the first, as before

"""Input checks and output helpers shared by the commands."""
from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import urlsplit

from crawler.exceptions import InvalidAsin, InvalidUrl, UsageError
from crawler.marketplaces import Marketplace, UnknownMarketplace
from crawler.marketplaces import get as get_marketplace
from crawler.records import is_asin

# Exit codes: 0 read, 3 could not be read, 2 bad usage (click/typer's convention), 1 unexpected.
EXIT_UNREADABLE = 3


def asin_arg(value: str) -> str:
    asin = value.strip().upper()
    if not is_asin(asin):
        raise InvalidAsin(value)
    return asin


def market_arg(code: str) -> Marketplace:
    try:
        return get_marketplace(code)
    except UnknownMarketplace as e:
        raise UsageError(str(e)) from None


def base_url_arg(value: str | None, market: Marketplace) -> str:
    if value is None:
        return market.base_url
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https"):
        raise InvalidUrl(value, "the scheme must be http or https")
    if not parts.hostname:
        raise InvalidUrl(value, "it names no host")
    return value.strip().rstrip("/")


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def error(message: str) -> None:
    sys.stderr.write(f"storewatch: {message}\n")

"""The watchlist: one TOML file, validated once into a frozen object. Nothing else reads the config file.

Errors name the file, the line and the key, and say what is allowed. Unknown keys are errors.
Secrets are never in the file: it names environment variables (`password_env`, `proxies_env`, ...).
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawler.exceptions import UsageError
from crawler.marketplaces import MARKETPLACES
from crawler.records import is_asin

FetchMode = Literal["http", "browser", "auto"]
SELLER_ID_RE = re.compile(r"^[A-Z0-9]{10,16}$")


class ConfigError(UsageError):
    """A bad watchlist. `line` and `key` are the first problem's; `problems` holds every one, in file
    order, so a user fixes them all in one go instead of one per run."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        line: int | None = None,
        key: str | None = None,
        more: list[tuple[int | None, str | None, str]] | None = None,
    ):
        self.path, self.line, self.key = str(path), line, key
        self.problems = [(line, key, message), *(more or [])]
        if len(self.problems) == 1:
            super().__init__(f"{_where(path, line, key)}: {message}")
            return
        lines = [f"{path}: {len(self.problems)} errors"]
        lines += [f"  {_where('', ln, k).lstrip(', ')}: {msg}" for ln, k, msg in self.problems]
        super().__init__("\n".join(lines))


def _where(path: Path | str, line: int | None, key: str | None) -> str:
    return f"{path}" + (f", line {line}" if line else "") + (f", key {key!r}" if key else "")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _asin(value: str) -> str:
    value = value.strip().upper()
    if not is_asin(value):
        raise ValueError(f"{value!r} is not an ASIN: 10 characters of 0-9 and A-Z, e.g. B08N5WRWNW")
    return value


def _market(value: str) -> str:
    value = value.strip().lower()
    if value not in MARKETPLACES:
        raise ValueError(f"unknown marketplace {value!r}: use one of {', '.join(MARKETPLACES)}")
    return value


def _seller_id(value: str) -> str:
    value = value.strip().upper()
    if not SELLER_ID_RE.match(value):
        raise ValueError(
            f"{value!r} is not a seller id: the merchant id in seller links (seller=A1B2C3D4E5F6G7)"
        )
    return value


class MarketplaceConfig(_Model):
    postcode: str | None = None  # delivery location, so prices and buy box are read for one place
    base_url: str | None = None  # a shop front at another address (e.g. the offline storefront)
    allow_any_host: bool = False  # base_url may name a host that is neither Amazon nor local
    fetch: FetchMode | None = None
    own_seller_ids: tuple[str, ...] = ()
    own_seller_names: tuple[str, ...] = ()  # for lookalike detection: same name, other id
    authorised_seller_ids: tuple[str, ...] = ()  # resellers: listed, never raised as hijackers

    _ids = field_validator("own_seller_ids", "authorised_seller_ids", mode="after")(
        lambda v: tuple(_seller_id(x) for x in v)
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL, e.g. http://127.0.0.1:8000")
        return v.rstrip("/") if v else v

    @model_validator(mode="after")
    def _known_host(self) -> MarketplaceConfig:
        # A typo'd or foreign host would send the seller's crawl (and cookies, postcode) somewhere else.
        if self.base_url and not self.allow_any_host and not is_known_host(self.base_url):
            raise ValueError(
                f"base_url {self.base_url!r} is neither an Amazon marketplace host nor a local address "
                "(127.0.0.1, localhost, a private network, *.local); set allow_any_host = true if you mean it")
        return self


def is_known_host(url: str) -> bool:
    """An Amazon marketplace's host, or a local / private address (the offline storefront, a saved copy)."""
    import ipaddress
    from urllib.parse import urlsplit

    from crawler.marketplaces import from_url

    host = (urlsplit(url).hostname or "").lower()
    if from_url(url) is not None or host == "localhost" or host.endswith((".local", ".localhost")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local


class Expected(_Model):
    title: str | None = None
    brand: str | None = None
    main_image: str | None = None
    bullets: int | None = Field(default=None, ge=0)
    category: str | None = None


class ProductConfig(_Model):
    asin: str
    marketplace: str
    own: bool = False
    label: str | None = None
    expected: Expected = Expected()
    price_floor: Decimal | None = Field(default=None, ge=0)
    fetch: FetchMode | None = None
    # Own listings: reads a day, the nightly crawl included (buy-box share needs several); the largest
    # value of a marketplace's own products plans its intraday runs unless schedule.own_listings_cron is set.
    checks_per_day: int = Field(default=1, ge=1, le=24)
    versus: tuple[str, ...] = ()  # a competitor's own ASINs it competes with (empty: all on its marketplace)

    _a = field_validator("asin")(lambda v: _asin(v))
    _v = field_validator("versus")(lambda v: tuple(_asin(x) for x in v))
    _m = field_validator("marketplace")(lambda v: _market(v))


class KeywordConfig(_Model):
    term: str = Field(min_length=1)
    marketplace: str
    pages: int = Field(default=1, ge=1, le=7)
    track: tuple[str, ...] = ()
    top_n: int = Field(default=10, ge=1, le=100)

    _m = field_validator("marketplace")(lambda v: _market(v))
    _t = field_validator("track")(lambda v: tuple(_asin(x) for x in v))


class ListConfig(_Model):
    path: str
    marketplace: str
    pages: int = Field(default=1, ge=1, le=2)
    top_n: int = Field(default=20, ge=1, le=100)

    _m = field_validator("marketplace")(lambda v: _market(v))

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not re.match(r"^/(gp/(bestsellers|new-releases|movers-and-shakers)|[^/]+/zgbs|zgbs)", v):
            raise ValueError(
                f"{v!r} is not a list path: use e.g. /gp/bestsellers/kitchen, "
                "/gp/new-releases/kitchen or /gp/movers-and-shakers/kitchen"
            )
        return v


class BrandConfig(_Model):
    name: str = Field(min_length=1)
    marketplace: str
    pages: int = Field(default=1, ge=1, le=3)

    _m = field_validator("marketplace")(lambda v: _market(v))


class Politeness(_Model):
    delay_seconds: float = Field(default=3.0, ge=0)
    jitter: float = Field(default=0.5, ge=0, le=1)  # delay x (1 +- jitter)
    concurrency_per_marketplace: int = Field(default=1, ge=1, le=8)
    autothrottle: bool = True
    retries: int = Field(default=2, ge=0, le=10)
    max_robot_checks: int = Field(default=10, ge=1)  # per marketplace and run, then it stops there
    proxies_env: str | None = None  # name of an env var holding proxy URLs, comma-separated


class Schedule(_Model):
    cron: str = "0 3 * * *"  # nightly, in each marketplace's time zone
    own_listings_cron: str | None = None  # e.g. "0 */4 * * *" for buy-box share
    grace_minutes: int = Field(default=60, ge=1)


class Thresholds(_Model):
    buybox_share_percent: Decimal = Field(default=Decimal(85), ge=0, le=100)
    rating_step: Decimal = Field(default=Decimal("0.1"), gt=0)
    rating_floor: Decimal = Field(default=Decimal("4.3"), ge=0, le=5)
    price_change_percent: Decimal = Field(default=Decimal(5), gt=0)
    rank_move: int = Field(default=5, ge=1)
    bsr_move_percent: Decimal = Field(default=Decimal(20), gt=0)
    keyword_fall_runs: int = Field(default=3, ge=2)
    newcomer_runs: int = Field(default=3, ge=1)
    blocked_ratio_percent: Decimal = Field(default=Decimal(10), ge=0, le=100)
    missing_field_percent: Decimal = Field(default=Decimal(30), ge=0, le=100)


class Email(_Model):
    smtp_host: str
    smtp_port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = "STOREWATCH_SMTP_PASSWORD"
    sender: str
    recipients: tuple[str, ...] = Field(min_length=1)


class Report(_Model):
    language: Literal["en", "zh-CN"] = "en"
    timezone: str = "UTC"
    send_at: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    screenshots: bool = False  # evidence screenshots of pages whose monitors raise alerts
    chat_urls_env: str | None = None  # env var with Apprise URLs (they carry tokens)


class Config(_Model):
    name: str = "storewatch"
    fetch: FetchMode = "http"
    browser_path: str | None = None  # a Chromium/Chrome to use; default: found by itself
    marketplaces: dict[str, MarketplaceConfig]
    products: tuple[ProductConfig, ...] = ()
    keywords: tuple[KeywordConfig, ...] = ()
    lists: tuple[ListConfig, ...] = ()
    brands: tuple[BrandConfig, ...] = ()
    politeness: Politeness = Politeness()
    schedule: Schedule = Schedule()
    thresholds: Thresholds = Thresholds()
    report: Report = Report()
    email: Email | None = None

    @field_validator("marketplaces")
    @classmethod
    def _markets(cls, v: dict[str, MarketplaceConfig]) -> dict[str, MarketplaceConfig]:
        for code in v:
            _market(code)
        if not v:
            raise ValueError("name at least one marketplace, e.g. [marketplaces.us]")
        return {code.lower(): m for code, m in v.items()}

    @model_validator(mode="after")
    def _known_markets(self) -> Config:
        for group in ("products", "keywords", "lists", "brands"):
            for i, item in enumerate(getattr(self, group)):
                if item.marketplace not in self.marketplaces:
                    raise ValueError(
                        f"{group}[{i + 1}] uses marketplace {item.marketplace!r}, which has no "
                        f"[marketplaces.{item.marketplace}] section"
                    )
        return self

    def base_url(self, marketplace: str, override: str | None = None) -> str:
        from crawler.marketplaces import get

        return (override or self.marketplaces[marketplace].base_url or get(marketplace).base_url).rstrip("/")

    def fetch_mode(self, marketplace: str, target: Any = None) -> FetchMode:
        return getattr(target, "fetch", None) or self.marketplaces[marketplace].fetch or self.fetch


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "no such file (storewatch init writes a commented example)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(path, f"cannot be read: {e}") from None
    return parse_config(text, path)


def parse_config(text: str, path: str | Path = "<config>") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"at line (\d+)", str(e))
        raise ConfigError(path, f"not valid TOML: {e}", line=int(m.group(1)) if m else None) from None
    try:
        return Config.model_validate(data)
    except ValidationError as e:
        problems = sorted(
            (_problem(text, err) for err in e.errors()), key=lambda p: (p[0] is None, p[0] or 0)
        )
        (line, key, msg), *more = problems
        raise ConfigError(path, msg, line=line, key=key, more=more) from None


def _problem(text: str, err: Any) -> tuple[int | None, str | None, str]:
    loc = tuple(err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = f"unknown key {loc[-1]!r} (allowed: {', '.join(_allowed(loc))})"
    return locate(text, loc), _dotted(loc) or None, msg


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _allowed(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        fld = model.model_fields.get(part)
        if fld is None:  # a dict key such as marketplaces.us: the value's model stays
            continue
        ann = fld.annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None and args:
            model = next(
                (
                    a
                    for a in getattr(args[-1], "__args__", (args[-1],))
                    if isinstance(a, type) and issubclass(a, BaseModel)
                ),
                None,
            )
    return sorted(model.model_fields) if model else []


def locate(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of `loc` (e.g. ("keywords", 2, "pages")) in TOML text: best effort, None when unsure."""
    lines = text.splitlines()
    start, table = 0, ""
    i = 0
    while i < len(loc):
        part = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if isinstance(nxt, int):  # an array of tables: [[part]] number nxt
            hits = [
                n
                for n, ln in enumerate(lines)
                if re.match(rf"^\s*\[\[\s*{re.escape(table + str(part))}\s*\]\]", ln)
            ]
            if nxt < len(hits):
                start, table = hits[nxt], table + str(part) + "."
                i += 2
                continue
            return None
        header = [
            n
            for n, ln in enumerate(lines[start:], start)
            if re.match(rf"^\s*\[\s*{re.escape(table + str(part))}\s*\]", ln)
        ]
        if header and nxt is not None:
            start, table = header[0], table + str(part) + "."
            i += 1
            continue
        if not header and isinstance(nxt, str):  # a dotted table such as [marketplaces.us]
            table += str(part) + "."
            i += 1
            continue
        for n in range(start, len(lines)):
            if n > start and re.match(r"^\s*\[", lines[n]):
                break
            if re.match(rf"^\s*{re.escape(str(part))}\s*=", lines[n]) or re.search(
                rf"[{{,]\s*{re.escape(str(part))}\s*=", lines[n]
            ):
                return n + 1
        return header[0] + 1 if header else (start + 1 if start else None)
    return start + 1 if start else None

"""The database schema: runs, their targets (one per fetch, with its outcome), and what was read.

Shaped for years of nightly checks:
- every fetch is one `targets` row (outcome, reason, evidence, url, time); a blocked page stops there;
- `product_snapshots` shares the target's id and holds only the fields that move from day to day;
- slow-changing text (title, bullets, images, reviews, result titles) lives once per content hash in
  `contents` as zlib-compressed JSON, and snapshots point at it;
- search results and list entries are compact rows keyed by (target, ordinal), without a rowid on SQLite.
The Alembic migrations in `crawler/migrations/versions` create this schema; a test checks they agree.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from crawler.dbtypes import ExactDecimal, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQL NULL for None, so "not shown" never becomes the JSON text 'null'.
Json = JSON(none_as_null=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # "daily", "check", "keywords", ...
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # running / complete / incomplete / failed
    marketplaces: Mapped[Any] = mapped_column(Json, nullable=True)
    counts: Mapped[Any] = mapped_column(Json, nullable=True)
    config_name: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index(None, "kind", "status", "started_at"),)


class Target(Base):
    """One fetch of one page: its outcome, or still pending (outcome NULL) in distributed mode."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # product / offers / search / list
    marketplace: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(Text)  # ASIN, keyword, or normalized list path
    page: Mapped[int] = mapped_column(SmallInteger, default=0)  # search result page; 0 otherwise
    url: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # hand-outs to workers

    __table_args__ = (Index(None, "kind", "marketplace", "key", "fetched_at"),)


class Content(Base):
    """Text stored once per content hash (sha256 of its canonical JSON), zlib-compressed."""

    __tablename__ = "contents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ProductSnapshotRow(Base):
    __tablename__ = "product_snapshots"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # title, brand, parent, bullets, images, breadcrumbs, A+, variations
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"))
    reviews_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"))  # top reviews
    price: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    list_price: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    list_price_currency: Mapped[str | None] = mapped_column(String(3))
    currency: Mapped[str | None] = mapped_column(String(3))
    buybox_state: Mapped[str | None] = mapped_column(String(20))
    buybox_seller: Mapped[str | None] = mapped_column(Text)
    buybox_seller_id: Mapped[str | None] = mapped_column(String(40))
    ships_from: Mapped[str | None] = mapped_column(Text)
    fulfilled_by_amazon: Mapped[bool | None] = mapped_column(Boolean)
    availability: Mapped[str | None] = mapped_column(Text)
    in_stock: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    review_count: Mapped[int | None] = mapped_column(Integer)
    histogram: Mapped[Any] = mapped_column(Json, nullable=True)  # [[stars, percent], ...]
    coupon: Mapped[Any] = mapped_column(Json, nullable=True)  # [text, percent, amount, currency]
    deal_badge: Mapped[str | None] = mapped_column(Text)
    other_sellers_count: Mapped[int | None] = mapped_column(Integer)
    offers: Mapped[Any] = mapped_column(Json, nullable=True)  # one compact list per offer, see rowcodec
    bsr: Mapped[Any] = mapped_column(Json, nullable=True)  # [[rank, category], ...]
    redirected_to: Mapped[str | None] = mapped_column(Text)
    missing: Mapped[Any] = mapped_column(Json, nullable=True)


class OffersPageRow(Base):
    __tablename__ = "offer_pages"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    total_count: Mapped[int | None] = mapped_column(Integer)
    offers: Mapped[Any] = mapped_column(Json, nullable=True)
    missing: Mapped[Any] = mapped_column(Json, nullable=True)


class SearchPageRow(Base):
    __tablename__ = "search_pages"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    banners: Mapped[Any] = mapped_column(Json, nullable=True)  # [[kind, brand, [asin, ...]], ...]
    missing: Mapped[Any] = mapped_column(Json, nullable=True)


class SearchResultRow(Base):
    __tablename__ = "search_results"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    n: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)  # ordinal
    page: Mapped[int] = mapped_column(SmallInteger)
    position: Mapped[int] = mapped_column(SmallInteger)
    asin: Mapped[str] = mapped_column(String(10))
    sponsored: Mapped[bool] = mapped_column(Boolean)
    organic_position: Mapped[int | None] = mapped_column(SmallInteger)
    sponsored_position: Mapped[int | None] = mapped_column(SmallInteger)
    text_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"))  # [title, brand]
    price: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    rating: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    review_count: Mapped[int | None] = mapped_column(Integer)
    badges: Mapped[Any] = mapped_column(Json, nullable=True)
    coupon: Mapped[str | None] = mapped_column(Text)
    deal: Mapped[str | None] = mapped_column(Text)

    __table_args__ = ({"sqlite_with_rowid": False},)


class ListPageRow(Base):
    __tablename__ = "list_pages"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    list_kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    missing: Mapped[Any] = mapped_column(Json, nullable=True)


class ListEntryRow(Base):
    __tablename__ = "list_entries"

    target_id: Mapped[int] = mapped_column(
        ForeignKey("targets.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    n: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    rank: Mapped[int] = mapped_column(Integer)
    asin: Mapped[str] = mapped_column(String(10))
    text_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"))  # [title]
    price: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    rating: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    review_count: Mapped[int | None] = mapped_column(Integer)
    list_name: Mapped[str | None] = mapped_column(Text)

    __table_args__ = ({"sqlite_with_rowid": False},)


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    monitor: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    marketplace: Mapped[str] = mapped_column(String(8))
    field: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(Json, nullable=True)
    after: Mapped[Any] = mapped_column(Json, nullable=True)
    message_key: Mapped[str] = mapped_column(String(128))
    params: Mapped[Any] = mapped_column(Json, nullable=True)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    url: Mapped[str | None] = mapped_column(Text)
    lifecycle: Mapped[str] = mapped_column(String(16))
    evidence: Mapped[str | None] = mapped_column(Text)
    discriminator: Mapped[str] = mapped_column(Text, default="")
    event: Mapped[bool] = mapped_column(Boolean, default=False)
    checked: Mapped[bool] = mapped_column(Boolean, default=True)

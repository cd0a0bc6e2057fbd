"""Initial schema: runs, targets, contents, product snapshots, offers, search, lists, alerts.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crawler.dbtypes import ExactDecimal, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Json = sa.JSON(none_as_null=True)


def _target_pk() -> sa.Column:
    return sa.Column("target_id", sa.Integer(), nullable=False, autoincrement=False)


def _target_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["target_id"], ["targets.id"], ondelete="CASCADE", name=f"fk_{table}_target_id_targets"
    )


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("marketplaces", Json, nullable=True),
        sa.Column("counts", Json, nullable=True),
        sa.Column("config_name", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_kind_status_started_at", "runs", ["kind", "status", "started_at"])

    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("marketplace", sa.String(8), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("page", sa.SmallInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE", name="fk_targets_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_targets"),
    )
    op.create_index("ix_targets_run_id", "targets", ["run_id"])
    op.create_index(
        "ix_targets_kind_marketplace_key_fetched_at", "targets", ["kind", "marketplace", "key", "fetched_at"]
    )

    op.create_table(
        "contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contents"),
        sa.UniqueConstraint("hash", name="uq_contents_hash"),
    )

    op.create_table(
        "product_snapshots",
        _target_pk(),
        sa.Column("content_id", sa.Integer(), nullable=True),
        sa.Column("reviews_id", sa.Integer(), nullable=True),
        sa.Column("price", ExactDecimal(), nullable=True),
        sa.Column("price_currency", sa.String(3), nullable=True),
        sa.Column("list_price", ExactDecimal(), nullable=True),
        sa.Column("list_price_currency", sa.String(3), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("buybox_state", sa.String(20), nullable=True),
        sa.Column("buybox_seller", sa.Text(), nullable=True),
        sa.Column("buybox_seller_id", sa.String(40), nullable=True),
        sa.Column("ships_from", sa.Text(), nullable=True),
        sa.Column("fulfilled_by_amazon", sa.Boolean(), nullable=True),
        sa.Column("availability", sa.Text(), nullable=True),
        sa.Column("in_stock", sa.Boolean(), nullable=True),
        sa.Column("rating", ExactDecimal(), nullable=True),
        sa.Column("review_count", sa.Integer(), nullable=True),
        sa.Column("histogram", Json, nullable=True),
        sa.Column("coupon", Json, nullable=True),
        sa.Column("deal_badge", sa.Text(), nullable=True),
        sa.Column("other_sellers_count", sa.Integer(), nullable=True),
        sa.Column("offers", Json, nullable=True),
        sa.Column("bsr", Json, nullable=True),
        sa.Column("redirected_to", sa.Text(), nullable=True),
        sa.Column("missing", Json, nullable=True),
        _target_fk("product_snapshots"),
        sa.ForeignKeyConstraint(
            ["content_id"], ["contents.id"], name="fk_product_snapshots_content_id_contents"
        ),
        sa.ForeignKeyConstraint(
            ["reviews_id"], ["contents.id"], name="fk_product_snapshots_reviews_id_contents"
        ),
        sa.PrimaryKeyConstraint("target_id", name="pk_product_snapshots"),
    )

    op.create_table(
        "offer_pages",
        _target_pk(),
        sa.Column("total_count", sa.Integer(), nullable=True),
        sa.Column("offers", Json, nullable=True),
        sa.Column("missing", Json, nullable=True),
        _target_fk("offer_pages"),
        sa.PrimaryKeyConstraint("target_id", name="pk_offer_pages"),
    )

    op.create_table(
        "search_pages",
        _target_pk(),
        sa.Column("banners", Json, nullable=True),
        sa.Column("missing", Json, nullable=True),
        _target_fk("search_pages"),
        sa.PrimaryKeyConstraint("target_id", name="pk_search_pages"),
    )

    op.create_table(
        "search_results",
        _target_pk(),
        sa.Column("n", sa.SmallInteger(), nullable=False, autoincrement=False),
        sa.Column("page", sa.SmallInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("asin", sa.String(10), nullable=False),
        sa.Column("sponsored", sa.Boolean(), nullable=False),
        sa.Column("organic_position", sa.SmallInteger(), nullable=True),
        sa.Column("sponsored_position", sa.SmallInteger(), nullable=True),
        sa.Column("text_id", sa.Integer(), nullable=True),
        sa.Column("price", ExactDecimal(), nullable=True),
        sa.Column("price_currency", sa.String(3), nullable=True),
        sa.Column("rating", ExactDecimal(), nullable=True),
        sa.Column("review_count", sa.Integer(), nullable=True),
        sa.Column("badges", Json, nullable=True),
        sa.Column("coupon", sa.Text(), nullable=True),
        sa.Column("deal", sa.Text(), nullable=True),
        _target_fk("search_results"),
        sa.ForeignKeyConstraint(["text_id"], ["contents.id"], name="fk_search_results_text_id_contents"),
        sa.PrimaryKeyConstraint("target_id", "n", name="pk_search_results"),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "list_pages",
        _target_pk(),
        sa.Column("list_kind", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("missing", Json, nullable=True),
        _target_fk("list_pages"),
        sa.PrimaryKeyConstraint("target_id", name="pk_list_pages"),
    )

    op.create_table(
        "list_entries",
        _target_pk(),
        sa.Column("n", sa.SmallInteger(), nullable=False, autoincrement=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("asin", sa.String(10), nullable=False),
        sa.Column("text_id", sa.Integer(), nullable=True),
        sa.Column("price", ExactDecimal(), nullable=True),
        sa.Column("price_currency", sa.String(3), nullable=True),
        sa.Column("rating", ExactDecimal(), nullable=True),
        sa.Column("review_count", sa.Integer(), nullable=True),
        sa.Column("list_name", sa.Text(), nullable=True),
        _target_fk("list_entries"),
        sa.ForeignKeyConstraint(["text_id"], ["contents.id"], name="fk_list_entries_text_id_contents"),
        sa.PrimaryKeyConstraint("target_id", "n", name="pk_list_entries"),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("marketplace", sa.String(8), nullable=False),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("before", Json, nullable=True),
        sa.Column("after", Json, nullable=True),
        sa.Column("message_key", sa.String(128), nullable=False),
        sa.Column("params", Json, nullable=True),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("lifecycle", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("discriminator", sa.Text(), nullable=False),
        sa.Column("event", sa.Boolean(), nullable=False),
        sa.Column("checked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE", name="fk_alerts_run_id_runs"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_run_id", "alerts", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_alerts_run_id", table_name="alerts")
    op.drop_table("alerts")
    for table in (
        "list_entries",
        "list_pages",
        "search_results",
        "search_pages",
        "offer_pages",
        "product_snapshots",
        "contents",
    ):
        op.drop_table(table)
    op.drop_index("ix_targets_kind_marketplace_key_fetched_at", table_name="targets")
    op.drop_index("ix_targets_run_id", table_name="targets")
    op.drop_table("targets")
    op.drop_index("ix_runs_kind_status_started_at", table_name="runs")
    op.drop_table("runs")

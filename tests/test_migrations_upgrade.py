"""Upgrading a database made by an earlier storewatch: created at revision 0001 and filled the way 0001's
code stored data, then opened by this storewatch (which upgrades it to head). Nothing is lost, every
snapshot reads back equal, and the upgraded schema is exactly the one a fresh database gets."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from crawler import migrations
from crawler.db import Database, make_engine, open_database
from crawler.models import Base
from crawler.product_store import ProductQueries
from crawler.store import Store
from tests.test_storage import snapshot

DAY = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        yield request.getfixturevalue("pg_db_url")


def make_0001_database(url: str) -> list:
    """Schema 0001 plus three days of one product as 0001's code wrote them (no `attempts` column)."""
    db = Database(make_engine(url))
    snaps = [snapshot(at=DAY + timedelta(days=d), price=f"{19 + d}.90") for d in range(3)]
    try:
        with db.transaction() as conn:
            migrations.upgrade(conn, "0001")
        products = ProductQueries(db.dialect)
        with db.transaction() as conn:
            for snap in snaps:
                run_id = conn.execute(text(
                    "INSERT INTO runs (kind, started_at, finished_at, status, marketplaces, counts) "
                    "VALUES ('crawl', :at, :at, 'complete', '[\"de\"]', '{}') RETURNING id"), {"at": snap.fetched_at}
                ).scalar_one()
                target_id = conn.execute(text(
                    "INSERT INTO targets (run_id, kind, marketplace, key, page, url, outcome, fetched_at, "
                    "claimed_by, claimed_at) VALUES (:run, 'product', :mk, :asin, 0, :url, 'ok', :at, NULL, NULL) "
                    "RETURNING id"),
                    {"run": run_id, "mk": snap.marketplace, "asin": snap.asin, "url": snap.url, "at": snap.fetched_at},
                ).scalar_one()
                products.save(conn, target_id, snap)
        products.contents.commit()
        with db.engine.connect() as conn:
            assert migrations.current_revision(conn) == "0001"
            columns = {c["name"] for c in _columns(conn, "targets")}
        assert "attempts" not in columns  # really the old schema
    finally:
        db.close()
    return snaps


def _columns(conn, table: str) -> list:
    from sqlalchemy import inspect

    return inspect(conn).get_columns(table)


def test_a_0001_database_upgrades_to_head_with_every_snapshot_intact(url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    snaps = make_0001_database(url)
    assert migrations.head_revision() > "0001"
    with open_database(url) as db:  # what any storewatch command does first
        with db.engine.connect() as conn:
            assert migrations.current_revision(conn) == migrations.head_revision()
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
            assert diff == []
            assert conn.execute(text("SELECT count(*), min(attempts), max(attempts) FROM targets")).one() == (3, 0, 0)
        store = Store(db)
        history = store.product_history(snaps[0].asin, snaps[0].marketplace)
        assert history == snaps
        assert [r.status for r in store.runs()] == ["complete"] * 3
        # The upgraded database takes new data the new way, next to the old.
        run = store.start_run("crawl", ["de"])
        store.save_product(run, snapshot(at=DAY + timedelta(days=3), price="23.90"))
        assert [s.price.amount for s in store.product_history(snaps[0].asin, "de")][-2:] == [
            snaps[-1].price.amount, snapshot(price="23.90").price.amount]

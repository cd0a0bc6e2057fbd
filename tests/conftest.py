"""Shared fixtures: the real-page captures in ../shared, golden files, the offline storefront."""
from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytest_plugins = ["fixtures.storefront.pytest_plugin"]

ROOT = Path(__file__).resolve().parent.parent
REALPAGES = ROOT.parent / "shared" / "realpages"
GOLDEN_REALPAGES = ROOT / "fixtures" / "expected" / "realpages"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="rewrite golden JSON files from the parsers' output (review the diff before committing)",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def realpages_labels() -> list[dict]:
    """LABELS.json entries, or [] when ../shared/realpages is absent (a user's clone)."""
    path = REALPAGES / "LABELS.json"
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def realpages() -> Path:
    if not (REALPAGES / "LABELS.json").exists():
        pytest.skip(f"real Amazon captures not found at {REALPAGES} (they live in the team's shared folder)")
    return REALPAGES


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium this machine's crawls launch; the test skips (naming the install command) without one."""
    from crawler.browser import BrowserNotFound, find_browser

    try:
        return find_browser()
    except BrowserNotFound as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (Playwright's sync API allows one driver at a time)."""
    from crawler.browser import BrowserNotFound, find_browser, launch_args

    try:
        executable = find_browser()
    except BrowserNotFound as exc:
        pytest.skip(str(exc))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=launch_args())
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The Redis database of the distributed tests (STOREWATCH_TEST_REDIS), flushed before and after."""
    pytest.importorskip("scrapy_redis")
    redis = pytest.importorskip("redis")
    from tests.workers import REDIS_URL

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    client.flushdb()  # a database number of its own: only these tests use it
    yield REDIS_URL
    from tests.workers import reap_workers

    reap_workers()
    client.flushdb()
    client.close()


# -- databases: SQLite always, PostgreSQL when asked (STOREWATCH_TEST_DB) -----------------------------
# `STOREWATCH_TEST_DB=postgresql+psycopg://postgres@127.0.0.1:5432/test pytest` runs every test that
# stores data against PostgreSQL, each database in a schema of its own, and leaves out the tests that
# never touch a database (they would only repeat the SQLite pass). A test stores data when it takes
# `test_db_url` (directly or through a fixture) or is marked `stores_data` (its helpers call
# `db_url_for`); a test about SQLite itself is marked `sqlite_only(reason)` and skipped there, saying why.
# Tests that need PostgreSQL whatever the switch (distributed crawls, upgrades) take `pg_db_url`.

PG_TEST_URL = os.environ.get("STOREWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _test_db_choice() -> str:
    return os.environ.get("STOREWATCH_TEST_DB", "sqlite")


def on_postgresql() -> bool:
    """Whether this pass stores test data in PostgreSQL (STOREWATCH_TEST_DB)."""
    return _test_db_choice().startswith("postgres")


@pytest.fixture(scope="session")
def pg_server():
    """An autocommit admin connection to the test PostgreSQL, or skip saying where it was looked for."""
    psycopg = pytest.importorskip("psycopg")
    base = _test_db_choice() if on_postgresql() else PG_TEST_URL
    plain = base.replace("+psycopg", "")
    try:
        conn = psycopg.connect(plain, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {plain}: {str(exc).strip()}")
    conn.base_url = base  # type: ignore[attr-defined]
    drop_stale_schemas(conn)
    yield conn
    conn.close()


STALE_AFTER_S = 12 * 3600  # far longer than any test session, so a running one keeps its schemas


def new_schema_name() -> str:
    """sw_test_<creation time>_<random>: the time lets a later session drop what a killed one left."""
    return f"sw_test_{int(time.time()):x}_{uuid.uuid4().hex[:8]}"


def drop_stale_schemas(admin) -> list[str]:
    """Drop test schemas older than STALE_AFTER_S (a killed session never reaches its own cleanup)."""
    rows = admin.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sw\\_test\\_%'").fetchall()
    stale = [
        name
        for (name,) in rows
        if (m := re.fullmatch(r"sw_test_([0-9a-f]+)_[0-9a-f]{8}", name))
        and time.time() - int(m.group(1), 16) > STALE_AFTER_S
    ]
    for name in stale:
        admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    return stale


@contextmanager
def pg_schema(admin) -> Iterator[str]:
    schema = new_schema_name()
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{admin.base_url}?options={quote(f'-csearch_path={schema}')}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def pg_db_url(pg_server) -> Iterator[str]:
    """A PostgreSQL database URL of its own (a fresh schema), whatever STOREWATCH_TEST_DB says."""
    with pg_schema(pg_server) as url:
        yield url


@pytest.fixture
def test_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database URL a test should use: a SQLite file in tmp_path, or (STOREWATCH_TEST_DB=postgresql...)
    a fresh PostgreSQL schema dropped after the test."""
    if not on_postgresql():
        yield f"sqlite:///{tmp_path / 'storewatch.db'}"
        return
    with pg_schema(request.getfixturevalue("pg_server")) as url:
        yield url


_test_schemas: dict[str, str] = {}  # (tmp_path/name) -> URL, dropped when the session ends


def db_url_for(tmp_path: Path, name: str = "storewatch.db") -> str:
    """For helpers and module-scoped fixtures: the same URL for the same (path, name), a SQLite file
    there or (STOREWATCH_TEST_DB=postgresql...) a fresh schema, dropped when the test session ends."""
    if not on_postgresql():
        return f"sqlite:///{tmp_path / name}"
    key = str(tmp_path / name)
    if key not in _test_schemas:
        import psycopg

        schema = new_schema_name()
        plain = _test_db_choice().replace("+psycopg", "")
        try:
            admin = psycopg.connect(plain, autocommit=True, connect_timeout=3)
        except psycopg.OperationalError as exc:
            pytest.skip(f"PostgreSQL not reachable at {plain}: {str(exc).strip()}")
        with admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
        _test_schemas[key] = f"{_test_db_choice()}?options={quote(f'-csearch_path={schema}')}"
    return _test_schemas[key]


@pytest.fixture
def store_closer() -> Iterator[Callable[[Any], Any]]:
    """Call it with a Store opened in the test: its database is closed after the test (an open
    PostgreSQL connection left to the garbage collector is a ResourceWarning, an error here)."""
    opened: list[Any] = []
    yield opened.append
    for store in opened:
        store.db.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    import sys

    if "tests.workers" in sys.modules:
        sys.modules["tests.workers"].release_redis_db()
    if not _test_schemas:
        return
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(_test_db_choice().replace("+psycopg", ""), autocommit=True) as admin:
        for url in _test_schemas.values():
            schema = make_url(url).query["options"].removeprefix("-csearch_path=")
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    _test_schemas.clear()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stores_data: stores data through db_url_for (runs on PostgreSQL too)")
    config.addinivalue_line("markers", "sqlite_only(reason): about SQLite itself; skipped on PostgreSQL")


def _stores_data(item: pytest.Item) -> bool:
    return "test_db_url" in getattr(item, "fixturenames", ()) or item.get_closest_marker("stores_data") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgresql():
        return
    keep, drop = [], []
    for item in items:
        sqlite_only = item.get_closest_marker("sqlite_only")
        if sqlite_only is not None:
            why = sqlite_only.args[0] if sqlite_only.args else sqlite_only.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {why}"))
        (keep if sqlite_only is not None or _stores_data(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

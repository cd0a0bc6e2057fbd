"""Opening the database: engine settings per backend, then migrations up to head.

`open_database()` runs at every CLI command, so it stays cheap: it compares the stored Alembic
revision with the newest revision file and imports Alembic only when an upgrade is due.

SQLite runs in WAL mode (readers never block the writer) with a 10 s busy timeout. Write transactions
start with BEGIN IMMEDIATE: a deferred transaction that read first and then wants to write can fail
with "database is locked" at once, without waiting, when another process wrote in between.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url

from crawler.exceptions import require_extra
from crawler.paths import default_db_url, ensure_private_file

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
_IMMEDIATE = "storewatch_immediate"
_MIGRATION_LOCK = 7_346_221  # any constant: serializes concurrent upgrades on PostgreSQL

_compact_json = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)


class SchemaTooNewError(RuntimeError):
    """The database was upgraded by a newer storewatch than this one."""


class Database:
    """An engine plus transactions that do the right locking for the backend."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Connection]:
        """A connection inside a transaction, committed on success, rolled back on error."""
        with self.engine.connect() as conn:
            if write:
                conn.execution_options(**{_IMMEDIATE: True})
            with conn.begin():
                yield conn

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None (another backend, or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def make_engine(url: str) -> Engine:
    """An engine configured for storewatch (pragmas, locking, compact JSON); no migrations."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        # SQLAlchemy's default PostgreSQL driver is psycopg2; storewatch ships psycopg 3.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    path = sqlite_path(url)
    if path is not None:
        ensure_private_file(path)  # before SQLite creates it with the umask's permissions
    if parsed.get_backend_name() != "sqlite":
        if parsed.get_backend_name() == "postgresql":
            require_extra("psycopg", "postgres", "a PostgreSQL database")
        return create_engine(url, json_serializer=_compact_json, pool_pre_ping=True)
    engine = create_engine(
        url, json_serializer=_compact_json, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _sqlite_begin)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable across crashes of the app, not of the OS
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_IMMEDIATE) else "BEGIN")


def open_database(url: str | None = None) -> Database:
    """Open (creating if needed) the database at `url`, default `default_db_url()`, at the newest schema."""
    db = Database(make_engine(url or default_db_url()))
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


def migrate(db: Database) -> None:
    from crawler.migrations import current_revision, head_revision

    head = head_revision()
    with db.engine.connect() as conn:
        if current_revision(conn) == head:
            return
    with db.transaction(write=True) as conn:
        if db.dialect == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        current = current_revision(conn)  # again: another process may have upgraded meanwhile
        if current == head:
            return
        if current is not None and current > head:
            raise SchemaTooNewError(
                f"database {db.safe_url} is at schema revision {current}, newer than this storewatch "
                f"knows ({head}); upgrade storewatch or point STOREWATCH_DB elsewhere"
            )
        log.info("upgrading database %s from revision %s to %s", db.safe_url, current, head)
        from crawler.migrations import upgrade

        upgrade(conn, "head")

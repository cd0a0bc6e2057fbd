"""Test databases on either backend: copying one, reading all of it, checking it is consistent.

The backend is SQLite, or PostgreSQL when `STOREWATCH_TEST_DB=postgresql+psycopg://...` (see conftest):
these helpers take any URL, so a test written once checks both.
"""
from __future__ import annotations

import zlib
from collections.abc import Iterator

from sqlalchemy import func, select


def copy_database(src: str, dst: str) -> str:
    """Copy every row of the database at `src` into the empty database at `dst` (created at head)."""
    from crawler.db import open_database, sqlite_path
    from crawler.models import Base

    src_path, dst_path = sqlite_path(src), sqlite_path(dst)
    if src_path is not None and dst_path is not None:
        import sqlite3

        a, b = sqlite3.connect(src_path), sqlite3.connect(dst_path)
        try:
            a.backup(b)  # byte for byte, WAL included
        finally:
            a.close()
            b.close()
        return dst
    with (open_database(src) as source, open_database(dst) as target,
          source.transaction(write=False) as read, target.transaction() as write):
        for table in Base.metadata.sorted_tables:  # parents before children
            rows = [dict(r) for r in read.execute(table.select()).mappings()]
            if rows:
                write.execute(table.insert(), rows)
        if target.dialect == "postgresql":  # copied ids: the sequences start after them
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement is not False:
                    write.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}")
    return dst


def all_values(url: str) -> Iterator[str]:
    """Every stored value of every table as text (compressed contents inflated): for searching."""
    from crawler.db import open_database
    from crawler.models import Base

    with open_database(url) as db, db.transaction(write=False) as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    if isinstance(value, bytes):
                        try:
                            value = zlib.decompress(value)
                        except zlib.error:
                            pass
                        yield value.decode("utf-8", "replace")
                    else:
                        yield str(value)


# Page kinds whose `ok` targets always have a row in these tables (stored in the target's transaction).
PAGE_TABLES = {"product": "product_snapshots", "search": "search_pages", "list": "list_pages"}


def consistency_problems(url: str) -> list[str]:
    """What is wrong with the database, checked the same way on both backends: rows pointing at rows
    that do not exist, and finished pages without what they read (a write cut in half)."""
    from crawler.db import open_database
    from crawler.models import Base, Target

    problems = []
    with open_database(url) as db, db.transaction(write=False) as conn:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                child, parent = fk.parent, fk.column
                orphans = conn.execute(
                    select(func.count()).select_from(table)
                    .where(child.is_not(None), ~select(parent).where(parent == child).exists())
                ).scalar_one()
                if orphans:
                    problems.append(f"{orphans} {table.name}.{child.name} pointing at no {parent.table.name}")
        for kind, name in PAGE_TABLES.items():
            page = Base.metadata.tables[name]
            missing = conn.execute(
                select(func.count()).select_from(Target)
                .where(Target.kind == kind, Target.outcome == "ok",
                       ~select(page.c.target_id).where(page.c.target_id == Target.id).exists())
            ).scalar_one()
            if missing:
                problems.append(f"{missing} ok {kind} targets without their {name} row")
    return problems


def backend(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).get_backend_name()


"""Alembic migrations, shipped inside the package so an installed storewatch can upgrade its database.

Revisions are numbered files (`0001_initial.py`, `0002_...`) with that number as the revision id, so the
head is known from a directory listing without importing Alembic (opening the database stays fast);
a test checks that Alembic agrees.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

HERE = Path(__file__).resolve().parent
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def head_revision() -> str:
    numbers = [m.group(1) for p in (HERE / "versions").iterdir() if (m := _REVISION_FILE.match(p.name))]
    return max(numbers)


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config pointing at this folder; with `connection`, migrations run on it."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(connection), revision)


def current_revision(connection: Connection) -> str | None:
    """The stored revision, or None for an empty database (checked without raising, so a
    PostgreSQL transaction is not aborted by a missing table)."""
    if connection.dialect.name == "sqlite":
        exists: Any = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).scalar()
    else:
        exists = connection.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar()
    if not exists:
        return None
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()

"""Alembic environment: runs on the connection storewatch hands over, or on the configured URL."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context

from crawler.models import Base

config = context.config
target_metadata = Base.metadata


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    # The scheduler keeps its job table in the same database; autogenerate must not drop it.
    return type_ != "table" or name in target_metadata.tables


def _configure(**kwargs: Any) -> None:
    # render_as_batch: SQLite can only ALTER a table by copying it; batch mode does that for us.
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=_ours,
        **kwargs,
    )


def run_offline(url: str) -> None:
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from crawler.db import make_engine

    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from crawler.paths import default_db_url

    return default_db_url()


if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline(_url())
else:
    run_online()

"""`init`: write a commented example watchlist."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example.")] = Path("storewatch.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example watchlist (storewatch.toml) into the working directory."""
    from importlib.resources import files

    from crawler.exceptions import UsageError

    if path.exists() and not force:
        raise UsageError(f"{path} exists already: edit it, or pass --force to overwrite it")
    path.write_text(files("crawler").joinpath("example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    typer.echo(f"wrote {path}: edit it, then run `storewatch crawl --config {path}`")

"""Where storewatch keeps its data: one user-only directory holding the database and the evidence.

`STOREWATCH_HOME` and `STOREWATCH_DB` are read here and nowhere else: they decide where the
configuration itself is looked for, so they cannot come from the configuration.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DB_FILENAME = "storewatch.db"


class DataDirError(OSError):
    """The data directory cannot be created or written to."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(
            f"storewatch data directory {str(path)!r} is not usable: {reason}. "
            "Fix its permissions or point STOREWATCH_HOME at a writable directory."
        )


def data_dir(create: bool = True) -> Path:
    """The data directory: `$STOREWATCH_HOME`, else the platform's user data dir for storewatch.

    A directory we create is user-only (0o700); an existing one is left as the user made it.
    """
    home = os.environ.get("STOREWATCH_HOME")
    if home:
        path = Path(home).expanduser()
    else:
        from platformdirs import user_data_dir  # only needed without the override

        path = Path(user_data_dir("storewatch", appauthor=False))
    if create:
        ensure_private_dir(path)
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing, the last level 0o700; raise DataDirError if unusable."""
    if not path.is_dir():
        try:
            path.mkdir(parents=True, exist_ok=True)
            os.chmod(path, stat.S_IRWXU)  # mkdir's mode is filtered by the umask; chmod is not
        except OSError as exc:
            raise DataDirError(path, exc.strerror or str(exc)) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataDirError(path, "permission denied (not writable)")
    return path


def default_db_url() -> str:
    """`$STOREWATCH_DB`, else the SQLite file in the data directory."""
    url = os.environ.get("STOREWATCH_DB")
    if url:
        return url
    return f"sqlite:///{data_dir() / DB_FILENAME}"


def ensure_private_file(path: Path) -> None:
    """Create `path` as an empty 0o600 file if it does not exist (SQLite would use the umask)."""
    ensure_private_dir(path.parent)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DataDirError(path.parent, exc.strerror or str(exc)) from exc
    os.close(fd)
    os.chmod(path, 0o600)

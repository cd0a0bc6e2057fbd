"""storewatch's own exceptions, in one place. Each message names what was wrong and what is allowed."""

from __future__ import annotations


class StorewatchError(Exception):
    """Base class: an error a user can act on (printed without a traceback, exit code 1 or 2)."""


class UsageError(StorewatchError):
    """Bad input, on the command line or in the config file: exit code 2, like click's usage errors.
    Errors met while running (disk, database) exit 1; pages that could not be read exit 3."""


class MissingExtra(StorewatchError):
    """An optional dependency is not installed: the message names the install command (exit code 1)."""


def require_extra(module: str, extra: str, purpose: str) -> None:
    """Raise MissingExtra unless `module` can be imported (checked without importing it)."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtra(f"{purpose} needs the {module} package, which is not installed: "
                           f"pip install 'storewatch[{extra}]'")


# (module, extra, what needs it) for require_extra
DISTRIBUTED = ("scrapy_redis", "distributed", "distributed crawling (crawl --distributed, worker)")


class InvalidAsin(UsageError):
    def __init__(self, value: str) -> None:
        super().__init__(
            f"invalid ASIN {value!r}: an ASIN is 10 characters of 0-9 and A-Z, "
            "e.g. B08N5WRWNW (books use their ISBN-10, e.g. 000004458X)"
        )


class InvalidUrl(UsageError):
    def __init__(self, value: str, why: str) -> None:
        super().__init__(f"invalid URL {value!r}: {why}; expected something like http://127.0.0.1:8000")

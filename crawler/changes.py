"""What changed between two `ok` snapshots of one product, field by field (for `check`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crawler.jsonout import product_json
from crawler.records import PRODUCT_FIELDS, Outcome, ProductSnapshot

# Identity and fetch metadata are not changes of the listing.
NOT_COMPARED = {"asin", "marketplace", "url", "fetched_at", "outcome", "reason"}
COMPARED = tuple(f for f in PRODUCT_FIELDS if f not in NOT_COMPARED)


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    before: Any
    after: Any
    since: str | None  # when the earlier value was seen (ISO 8601)

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after, "since": self.since}


def product_changes(before: ProductSnapshot | None, after: ProductSnapshot) -> list[Change]:
    """Changed fields; nothing when either side was not read (only `ok` pages are ever compared)."""
    if before is None or before.outcome != Outcome.OK or after.outcome != Outcome.OK:
        return []
    old, new = product_json(before), product_json(after)
    since = before.fetched_at.isoformat() if before.fetched_at else None
    return [Change(name, old[name], new[name], since) for name in COMPARED if old[name] != new[name]]

"""Runs left `running` by a crawl that was killed: found at the next run's start and marked incomplete.

A run records its owner (host, pid and the pid's start time, so a reused pid is not mistaken for it).
On the same host an owner that no longer exists means the crawl died; a run owned by another host is
only declared dead after `FOREIGN_STALE_AFTER` (a distributed coordinator may run elsewhere).
Their baseline role is unaffected either way: diffs only ever compare against `complete` runs.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)

FOREIGN_STALE_AFTER = timedelta(hours=24)


def _started(pid: int) -> str | None:
    """The pid's start time in clock ticks since boot (Linux), or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        if os.name == "posix" and not os.path.isdir("/proc"):
            try:
                os.kill(pid, 0)
                return "?"
            except ProcessLookupError:
                return None
            except PermissionError:
                return "?"
        return None


def owner() -> dict[str, Any]:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "pid_started": _started(pid)}


def owner_alive(run: Any, now: datetime | None = None) -> bool:
    me = run.counts.get("owner") if run.counts else None
    if not me:
        return True  # not ours to judge (a run that records no owner)
    if me.get("host") != socket.gethostname():
        return (now or datetime.now(UTC)) - run.started_at < FOREIGN_STALE_AFTER
    started = _started(int(me.get("pid", 0)))
    return started is not None and started in (me.get("pid_started"), "?")


def mark_stale_runs(store: Any) -> list[int]:
    """Mark every dead `running` run `incomplete`; returns their ids."""
    stale = store.stale_runs(owner_alive)
    for run in stale:
        counts = {**run.counts, "stale": "the process running it stopped before it finished"}
        store.finish_run(run.id, "incomplete", counts)
        log.warning("run %s was left running by a process that is gone: marked incomplete", run.id)
    return [r.id for r in stale]


def begin_run(store: Any, kind: str, marketplaces: list[str], config_name: str | None = None) -> int:
    """Mark dead runs incomplete, then start a run owned by this process."""
    mark_stale_runs(store)
    run_id = store.start_run(kind, marketplaces, config_name=config_name)
    store.set_run_counts(run_id, {"owner": owner()})
    return run_id

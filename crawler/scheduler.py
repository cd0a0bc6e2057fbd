"""The scheduler behind `storewatch schedule`: APScheduler 3 jobs built from the watchlist.

Jobs, all calling `crawler.cycle:run_cycle` by textual reference so the job store can persist them:
- `crawl:<mk>`: the nightly crawl of one marketplace at `schedule.cron`, in that marketplace's time zone;
- `own:<mk>`: the intraday check of own listings at `schedule.own_listings_cron` (same time zone), or
  else `checks_per_day - 1` times a day evenly after the nightly crawl (the largest value of the
  marketplace's own products; see `intraday_cron`), for
  marketplaces that have own products;
- `report`: the one consolidated report at `report.send_at` in `report.timezone`.

The job store is a table (`apscheduler_jobs`) in the snapshots' database. Jobs are replaced at every
start so config edits take effect; a job whose schedule did not change keeps its stored next run time,
so a run missed while the scheduler was down still fires on start within `schedule.grace_minutes`.
Runs are serial (one worker thread): no two runs overlap, so a report never reads a half-written crawl;
a run due while another runs waits, and is dropped if it waited longer than the grace time.
"""

from __future__ import annotations

import concurrent.futures
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.base import run_job
from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.util import ref_to_obj

from crawler.config import Config, ConfigError, locate
from crawler.exceptions import StorewatchError
from crawler.marketplaces import get as get_marketplace

log = logging.getLogger(__name__)

DEFAULT_TARGET = "crawler.cycle:run_cycle"
TABLE_NAME = "apscheduler_jobs"
KINDS = ("crawl", "own", "report")  # the `kind` values run_cycle receives

CRON_HELP = (
    "use 5 fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *' (03:00 daily) or "
    "'0 */4 * * *' (every 4 hours); each field takes *, a number, a range a-b, a step */n or a-b/n, "
    "or a list a,b; day-of-week is 0-7 (0 and 7 are Sunday) or sun-sat, month is 1-12 or jan-dec"
)
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_trigger(expr: str, tz: str) -> CronTrigger:
    """A trigger for a standard crontab line in time zone `tz`; ValueError says what is wrong.

    APScheduler 3 counts weekdays from Monday = 0 while crontab counts from Sunday = 0 (its issue 286),
    so the day-of-week field is translated to day names first. Cron ORs a restricted day-of-month with
    a restricted day-of-week and APScheduler ANDs them: that combination is refused rather than guessed.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"{expr!r} has {len(fields)} field(s), not 5")
    if fields[2] != "*" and fields[4] != "*":
        raise ValueError(
            f"{expr!r} restricts both day-of-month and day-of-week, which cron and APScheduler "
            "read differently; restrict only one of them"
        )
    fields[4] = _crontab_weekdays(fields[4])
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=_zone(tz))
    except ValueError as e:
        raise ValueError(f"{expr!r} is not a valid cron expression ({e})") from None


def _crontab_weekdays(field: str) -> str:
    """The crontab day-of-week field as an APScheduler list of day names (`*` stays `*`)."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.lower().split(","):
        spec, _, step_text = part.partition("/")
        step = _weekday_number(step_text, allow_7=True) if step_text else 1
        if step < 1:
            raise ValueError(f"day-of-week step {step_text!r} must be at least 1")
        if spec == "*":
            first, last = 0, 6
        elif "-" in spec:
            first_text, last_text = spec.split("-", 1)
            first, last = _weekday_number(first_text), _weekday_number(last_text, allow_7=True)
            if first > last:
                raise ValueError(f"day-of-week range {spec!r} runs backwards")
        else:
            first = last = _weekday_number(spec, allow_7=True)
            if step_text:
                last = 6
        days.update(d % 7 for d in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_DOW_NAMES[d] for d in sorted(days, key=lambda d: (d + 6) % 7))  # Monday first


def _weekday_number(text: str, allow_7: bool = False) -> int:
    if text in _DOW_NAMES:
        return _DOW_NAMES.index(text)
    if text.isdigit() and int(text) <= (7 if allow_7 else 6):
        return int(text)
    raise ValueError(f"day-of-week {text!r} is not 0-7 or sun-sat")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from None


@dataclass(frozen=True)
class JobSpec:
    """One job to schedule: what it runs and when, before APScheduler sees it."""

    id: str  # "crawl:us", "own:us", "report"
    kind: str
    marketplaces: tuple[str, ...]
    timezone: str
    trigger: CronTrigger
    title: str


def plan_jobs(config: Config, config_path: str | Path) -> list[JobSpec]:
    """The jobs of a watchlist; a bad cron string or time zone is a ConfigError naming its key and line."""
    sched, markets = config.schedule, tuple(config.marketplaces)
    own_markets = {p.marketplace for p in config.products if p.own}
    specs: list[JobSpec] = []
    for mk in markets:
        tz = get_marketplace(mk).timezone
        trigger = _trigger(config_path, ("schedule", "cron"), sched.cron, tz)
        specs.append(JobSpec(f"crawl:{mk}", "crawl", (mk,), tz, trigger, f"nightly crawl, {mk}"))
        if mk not in own_markets:
            continue
        if sched.own_listings_cron:
            trigger = _trigger(config_path, ("schedule", "own_listings_cron"), sched.own_listings_cron, tz)
            specs.append(JobSpec(f"own:{mk}", "own", (mk,), tz, trigger, f"own listings, {mk}"))
        elif cron := intraday_cron(sched.cron, max(p.checks_per_day for p in config.products
                                                    if p.own and p.marketplace == mk)):
            trigger = _trigger(config_path, ("schedule", "cron"), cron, tz)
            specs.append(JobSpec(f"own:{mk}", "own", (mk,), tz, trigger, f"own listings, {mk}"))
    report_tz = config.report.timezone
    hour, minute = config.report.send_at.split(":")
    report_trigger = _trigger(
        config_path, ("report", "timezone"), f"{int(minute)} {int(hour)} * * *", report_tz
    )
    specs.append(JobSpec("report", "report", markets, report_tz, report_trigger, "daily report"))
    return specs


def intraday_cron(nightly: str, checks_per_day: int) -> str | None:
    """The own-listing checks a day beyond the nightly crawl (which is one of them), evenly spaced after
    it: 4 checks with the crawl at 03:00 -> 09:00, 15:00, 21:00. None for one check a day. A nightly cron
    other than "M H * * *" anchors the spacing at midnight."""
    if checks_per_day <= 1:
        return None
    minute, hour = (nightly.split() + ["", ""])[:2]
    if not (minute.isdigit() and hour.isdigit()):
        minute, hour = "0", "0"
    hours = sorted({(int(hour) + i * 24 // checks_per_day) % 24 for i in range(1, checks_per_day)})
    return f"{int(minute)} {','.join(map(str, hours))} * * *"


def _trigger(config_path: str | Path, loc: tuple[str, ...], expr: str, tz: str) -> CronTrigger:
    try:
        return crontab_trigger(expr, tz)
    except ValueError as e:
        line = None
        try:
            line = locate(Path(config_path).read_text(encoding="utf-8"), loc)
        except OSError:
            pass
        allowed = "" if "time zone" in str(e) else f"; {CRON_HELP}"
        raise ConfigError(config_path, f"{e}{allowed}", line=line, key=".".join(loc)) from None


class SerialExecutor(BasePoolExecutor):
    """One run at a time. On shutdown the running run is awaited; queued runs are dropped and put back
    in the job store at their scheduled time, so a restart within the grace time still runs them."""

    def __init__(self) -> None:
        super().__init__(concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="storewatch-job"))
        self._running: str | None = None

    @property
    def running(self) -> str | None:
        return self._running

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        def call() -> Any:
            self._running = job.id
            try:
                return run_job(job, job._jobstore_alias, run_times, self._logger.name)
            finally:
                self._running = None

        def done(f: concurrent.futures.Future[Any]) -> None:
            if f.cancelled():
                self._run_job_success(job.id, [])
                self._requeue(job, run_times[0])
            elif (exc := f.exception()) is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, f.result())

        self._pool.submit(call).add_done_callback(done)

    def _requeue(self, job: Job, run_time: datetime) -> None:
        log.warning(
            "%s was waiting for another run when the scheduler stopped; it stays due at %s",
            job.id,
            run_time.isoformat(),
        )
        try:
            store = self._scheduler._jobstores[job._jobstore_alias]  # type: ignore[union-attr]
            job._modify(next_run_time=run_time)
            store.update_job(job)
        except Exception:  # the store may be gone already; the run then waits for its next time
            log.exception("could not put %s back in the job store", job.id)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=True)


class _BackgroundScheduler(BackgroundScheduler):
    def _process_jobs(self) -> float | None:
        # APScheduler 3's main loop makes one more pass after shutdown() has stopped the executors: a job
        # due at that moment would fail to submit and still have its next run moved on, i.e. be lost.
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()  # type: ignore[no-any-return]


class Scheduler:
    """A BackgroundScheduler with storewatch's job store, executor, defaults and jobs."""

    def __init__(
        self,
        config: Config,
        config_path: str | Path,
        db_url: str | None = None,
        base_url: str | None = None,
        target: str = DEFAULT_TARGET,
    ) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

        from crawler.db import make_engine
        from crawler.paths import default_db_url

        self.specs = plan_jobs(config, config_path)
        resolve_target(target)  # fail at start, not at 03:00
        self.config_path = str(config_path)
        self.db_url = db_url
        self.base_url = base_url
        self.target = target
        self.executor = SerialExecutor()
        self._engine = make_engine(db_url or default_db_url())
        self.scheduler = _BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self._engine, tablename=TABLE_NAME)},
            executors={"default": self.executor},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": config.schedule.grace_minutes * 60,
            },
            timezone=UTC,
        )
        self.scheduler.add_listener(
            _log_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )

    def start(self) -> list[tuple[JobSpec, Job]]:
        """Open the job store, replace the jobs with the config's, remove others, and start running."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            self.scheduler.start(paused=True)
        except SQLAlchemyError as e:
            url = self._engine.url.render_as_string(hide_password=True)
            raise StorewatchError(
                f"cannot open the job store in {url}: {e.__class__.__name__}: {str(e).splitlines()[0]}"
            ) from None
        wanted = {s.id for s in self.specs}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                log.info("removing job %s: it is no longer in the config", job.id)
                job.remove()
        jobs = [(spec, self._add(spec)) for spec in self.specs]
        self.scheduler.resume()
        return jobs

    def _add(self, spec: JobSpec) -> Job:
        kwargs: dict[str, Any] = {}
        old = self.scheduler.get_job(spec.id)
        if old is not None and repr(old.trigger) == repr(spec.trigger) and old.next_run_time is not None:
            kwargs["next_run_time"] = old.next_run_time  # same schedule: a missed run stays due
        return self.scheduler.add_job(
            self.target,
            trigger=spec.trigger,
            id=spec.id,
            name=spec.title,
            replace_existing=True,
            kwargs={
                "config_path": self.config_path,
                "db_url": self.db_url,
                "base_url": self.base_url,
                "kind": spec.kind,
                "marketplaces": list(spec.marketplaces),
            },
            **kwargs,
        )

    def wakeup(self) -> None:
        self.scheduler.wakeup()

    @property
    def running_job(self) -> str | None:
        return self.executor.running

    def shutdown(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self._engine.dispose()


def build_scheduler(
    config: Config,
    config_path: str | Path,
    db_url: str | None = None,
    base_url: str | None = None,
    target: str = DEFAULT_TARGET,
) -> Scheduler:
    return Scheduler(config, config_path, db_url=db_url, base_url=base_url, target=target)


def run_once(
    config: Config,
    config_path: str | Path,
    db_url: str | None = None,
    base_url: str | None = None,
    target: str = DEFAULT_TARGET,
) -> int:
    """One full cycle now: crawl every marketplace, then the report. The exit code of the first failing
    step, else 0. The report is built even after a failed crawl: it is where crawl health is shown."""
    plan_jobs(config, config_path)  # the same validation as a scheduled start
    func = resolve_target(target)
    markets = list(config.marketplaces)
    codes = []
    for kind in ("crawl", "report"):
        log.info("running %s for %s", kind, ", ".join(markets))
        result = func(
            config_path=str(config_path), db_url=db_url, base_url=base_url, kind=kind, marketplaces=markets
        )
        codes.append(int(result or 0))
    return next((c for c in codes if c), 0)


def resolve_target(target: str) -> Any:
    """The function a job calls, from its `module:function` reference; StorewatchError if missing."""
    try:
        return ref_to_obj(target)
    except (LookupError, ValueError) as e:
        cause = f" ({e.__cause__})" if e.__cause__ else ""
        raise StorewatchError(f"the job function {target} cannot be loaded: {e}{cause}") from None


def _log_event(event: JobEvent) -> None:
    if event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning("%s skipped: its previous run is still going", event.job_id)
    elif event.code == EVENT_JOB_MISSED:
        log.warning(
            "%s missed its %s run by more than the grace time (schedule.grace_minutes)",
            event.job_id,
            event.scheduled_run_time.isoformat(),
        )
    elif event.code == EVENT_JOB_ERROR:
        log.error("%s failed: %r", event.job_id, event.exception)
    elif isinstance(event.retval, int) and event.retval:
        log.warning("%s finished with exit code %s", event.job_id, event.retval)
    else:
        log.info("%s finished", event.job_id)


def fire_time_text(when: datetime | None, tz: str) -> tuple[str, str]:
    """(local, UTC) renderings of a next fire time, or ("paused", "") when there is none."""
    if when is None:
        return "paused", ""
    return (
        when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z"),
        when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )

"""The scheduler: a real APScheduler driven by a controlled clock, real SQLite and PostgreSQL job stores,
and a real `storewatch schedule` process stopped with SIGTERM.

The clock: APScheduler 3 reads the time in two places, `datetime.now(...)` in `schedulers.base` (which
jobs are due, their next run) and in `executors.base.run_job` (the misfire/grace check). Both modules'
`datetime` is replaced by a subclass whose `now()` returns the test's time, so APScheduler's own trigger,
coalescing, misfire and max-instances code runs unchanged; the test moves the clock and wakes the
scheduler instead of sleeping until a fire time.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import apscheduler.executors.base as executors_base
import apscheduler.schedulers.base as schedulers_base
import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
)

from crawler.config import ConfigError, load_config
from crawler.scheduler import TABLE_NAME, Scheduler, build_scheduler, crontab_trigger, run_once
from tests.conftest import db_url_for

# Tests here store data through db_url_for: the PostgreSQL pass runs this module too.
pytestmark = pytest.mark.stores_data

ROOT = Path(__file__).resolve().parent.parent

TARGET = "tests.test_scheduler:record_call"
TERMINAL = (EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_JOB_ERROR)

# The job function the real scheduler calls by reference (as it would call crawler.cycle:run_cycle).
CALLS: queue.Queue[dict[str, Any]] = queue.Queue()
STARTED = threading.Event()
GATE = threading.Event()  # cleared: a run blocks until the test sets it
RESULT = {"code": 0}


def record_call(**kwargs: Any) -> int:
    CALLS.put(kwargs)
    STARTED.set()
    GATE.wait(10)
    return RESULT["code"]


def slow_call(*, config_path: str, **_: Any) -> int:
    """For the subprocess test: says it started, then runs until the test drops a `release` file."""
    folder = Path(config_path).parent
    (folder / "started").write_text("started")
    deadline = time.monotonic() + 20
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    (folder / "finished").write_text("finished")
    return 0


US_DE = """
[marketplaces.us]
[marketplaces.de]

[[products]]
asin = "B08N5WRWNW"
marketplace = "us"
own = true

[schedule]
cron = "{cron}"
own_listings_cron = "0 */4 * * *"
grace_minutes = 60

[report]
timezone = "UTC"
send_at = "08:00"
"""


def write_config(tmp_path: Path, text: str = US_DE, cron: str = "0 3 * * *") -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(text.replace("{cron}", cron), encoding="utf-8")
    return path


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday, before either DST change


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()

    class ControlledDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return c.now.astimezone(tz) if tz else c.now.astimezone(UTC).replace(tzinfo=None)

    monkeypatch.setattr(schedulers_base, "datetime", ControlledDatetime)
    monkeypatch.setattr(executors_base, "datetime", ControlledDatetime)
    return c


@pytest.fixture(autouse=True)
def _reset_calls() -> Any:
    while not CALLS.empty():
        CALLS.get_nowait()
    STARTED.clear()
    GATE.set()
    RESULT["code"] = 0
    yield
    GATE.set()  # never leave a worker blocked


class Driver:
    """Moves the clock, wakes the real scheduler and waits until it has looked at that time."""

    def __init__(self, runner: Scheduler, clock: Clock) -> None:
        self.runner, self.clock = runner, clock
        self.events: queue.Queue[Any] = queue.Queue()
        self.passes: queue.Queue[datetime] = queue.Queue()
        self.start_events: list[Any] = []
        sched = runner.scheduler
        sched.add_listener(
            self.events.put,
            EVENT_JOB_SUBMITTED
            | EVENT_JOB_MAX_INSTANCES
            | EVENT_JOB_EXECUTED
            | EVENT_JOB_MISSED
            | EVENT_JOB_ERROR,
        )
        process = sched._process_jobs

        def observed() -> Any:  # only observes: records the time each pass of the main loop saw
            seen = clock.now
            try:
                return process()
            finally:
                self.passes.put(seen)

        sched._process_jobs = observed  # type: ignore[method-assign]

    def step(self, when: datetime, wait_done: bool = True) -> list[Any]:
        self.clock.now = when
        self.runner.wakeup()
        return self.settle(wait_done)

    def settle(self, wait_done: bool = True) -> list[Any]:
        """The job events of the pass that saw the current time (and, by default, of the runs it began)."""
        while self.passes.get(timeout=10) != self.clock.now:
            pass
        events = []
        while not self.events.empty():
            events.append(self.events.get_nowait())
        pending = Counter(e.job_id for e in events if e.code == EVENT_JOB_SUBMITTED)
        pending.subtract(e.job_id for e in events if e.code in TERMINAL)
        while wait_done and +pending:
            event = self.events.get(timeout=10)
            events.append(event)
            if event.code in TERMINAL:
                pending[event.job_id] -= 1
        return events


@pytest.fixture
def make_runner(clock: Clock, tmp_path: Path) -> Any:
    started: list[Scheduler] = []

    def make(config_path: Path, db_url: str | None = None, target: str = TARGET) -> tuple[Scheduler, Driver]:
        runner = build_scheduler(
            load_config(config_path),
            config_path,
            db_url=db_url or db_url_for(tmp_path, "sw.db"),
            target=target,
        )
        driver = Driver(runner, clock)
        runner.start()
        started.append(runner)
        driver.start_events = driver.settle()
        return runner, driver

    yield make
    GATE.set()
    for runner in started:
        runner.shutdown(wait=True)


def runs(
    events: list[Any], code: int = EVENT_JOB_EXECUTED, prefix: str = "crawl:"
) -> list[tuple[str, datetime]]:
    return [
        (e.job_id, e.scheduled_run_time) for e in events if e.code == code and e.job_id.startswith(prefix)
    ]


def drain_calls() -> list[dict[str, Any]]:
    out = []
    while not CALLS.empty():
        out.append(CALLS.get_nowait())
    return out


def test_nightly_crawl_fires_at_3am_in_each_marketplaces_own_time_zone(
    tmp_path: Path, clock: Clock, make_runner: Any
) -> None:
    config = write_config(tmp_path)
    runner, driver = make_runner(config)
    jobs = {j.id: j for j in runner.scheduler.get_jobs()}
    assert set(jobs) == {"crawl:us", "crawl:de", "own:us", "report"}  # no own:de: no own product there
    assert jobs["crawl:de"].next_run_time == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 03:00 CET
    assert jobs["crawl:us"].next_run_time == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 03:00 PST

    assert runs(driver.step(datetime(2026, 3, 2, 1, 59, 59, tzinfo=UTC))) == []
    events = driver.step(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    assert runs(events) == [("crawl:de", datetime(2026, 3, 2, 2, 0, tzinfo=UTC))]
    assert runs(events)[0][1].astimezone(ZoneInfo("Europe/Berlin")).hour == 3
    call = next(c for c in drain_calls() if c["kind"] == "crawl")
    assert call == {
        "config_path": str(config),
        "db_url": db_url_for(tmp_path, "sw.db"),
        "base_url": None,
        "kind": "crawl",
        "marketplaces": ["de"],
    }

    assert runs(driver.step(datetime(2026, 3, 2, 10, 59, 59, tzinfo=UTC))) == []
    events = driver.step(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    assert runs(events) == [("crawl:us", datetime(2026, 3, 2, 11, 0, tzinfo=UTC))]
    assert runs(events)[0][1].astimezone(ZoneInfo("America/Los_Angeles")).hour == 3
    assert [c["marketplaces"] for c in drain_calls() if c["kind"] == "crawl"] == [["us"]]
    # own listings every 4 hours in Los Angeles: 04:00 PST is 12:00 UTC
    assert runner.scheduler.get_job("own:us").next_run_time == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("nightly,checks,expected", [
    ("0 3 * * *", 4, "0 9,15,21 * * *"),  # the nightly crawl is one of the four
    ("30 22 * * *", 3, "30 6,14 * * *"),
    ("0 3 * * *", 1, None),
    ("0 */12 * * *", 2, "0 12 * * *"),  # not a plain daily time: spaced from midnight
])
def test_intraday_checks_are_spaced_evenly_after_the_nightly_crawl(nightly: str, checks: int,
                                                                   expected: str | None) -> None:
    from crawler.scheduler import intraday_cron

    assert intraday_cron(nightly, checks) == expected


def test_checks_per_day_plans_the_own_listing_runs_without_an_explicit_cron(tmp_path: Path) -> None:
    from crawler.config import load_config
    from crawler.scheduler import plan_jobs

    text = US_DE.replace('own_listings_cron = "0 */4 * * *"\n', "").replace(
        'own = true', 'own = true\nchecks_per_day = 3')
    config = write_config(tmp_path, text)
    specs = {j.id: j for j in plan_jobs(load_config(config), config)}
    assert set(specs) == {"crawl:us", "crawl:de", "own:us", "report"}
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles, after the 03:00 crawl
    fires, t = [], start
    for _ in range(3):
        t = specs["own:us"].trigger.get_next_fire_time(None, t + timedelta(seconds=1))
        fires.append(t.astimezone(ZoneInfo("America/Los_Angeles")).hour)
    assert fires == [11, 19, 11]  # 03:00 + 8 h and + 16 h, local time
    no_extra = write_config(tmp_path, US_DE.replace('own_listings_cron = "0 */4 * * *"\n', ""))
    assert "own:us" not in {j.id for j in plan_jobs(load_config(no_extra), no_extra)}


def test_missed_runs_coalesce_into_one_within_grace_and_none_outside(
    tmp_path: Path, clock: Clock, make_runner: Any
) -> None:
    runner, driver = make_runner(write_config(tmp_path))
    # The clock jumps over three us runs (Mar 2, 3, 4 at 11:00 UTC); the last is 30 min late: one run.
    events = driver.step(datetime(2026, 3, 4, 11, 30, tzinfo=UTC))
    assert runs(events, prefix="crawl:us") == [("crawl:us", datetime(2026, 3, 4, 11, 0, tzinfo=UTC))]
    assert [c["marketplaces"] for c in drain_calls() if c["kind"] == "crawl"] == [["us"]]
    # de's last run in that jump (Mar 4 02:00 UTC) was 9.5 h late: missed, not run.
    assert runs(events, EVENT_JOB_MISSED, "crawl:de") == [
        ("crawl:de", datetime(2026, 3, 4, 2, 0, tzinfo=UTC))
    ]

    # Three more, the last 90 min late, beyond the 60 min grace: none runs.
    events = driver.step(datetime(2026, 3, 7, 12, 30, tzinfo=UTC))
    assert runs(events, prefix="crawl:us") == []
    assert runs(events, EVENT_JOB_MISSED, "crawl:us") == [
        ("crawl:us", datetime(2026, 3, 7, 11, 0, tzinfo=UTC))
    ]
    assert [c for c in drain_calls() if c["marketplaces"] == ["us"] and c["kind"] == "crawl"] == []
    # Next: Sunday Mar 8, the day Los Angeles moves to PDT, so 03:00 local is 10:00 UTC.
    assert runner.scheduler.get_job("crawl:us").next_run_time == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)


def test_a_run_does_not_start_while_the_previous_one_runs(
    tmp_path: Path, clock: Clock, make_runner: Any, caplog: pytest.LogCaptureFixture
) -> None:
    text = US_DE.replace("[marketplaces.de]\n", "")
    clock.now = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    runner, driver = make_runner(write_config(tmp_path, text, cron="0 * * * *"))
    assert drain_calls() == []
    GATE.clear()
    events = driver.step(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), wait_done=False)
    assert [e.job_id for e in events if e.code == EVENT_JOB_SUBMITTED] == ["crawl:us"]
    assert STARTED.wait(5)
    assert runner.running_job == "crawl:us"

    events = driver.step(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), wait_done=False)
    assert [e.job_id for e in events if e.code == EVENT_JOB_MAX_INSTANCES] == ["crawl:us"]
    assert "crawl:us skipped: its previous run is still going" in caplog.text
    GATE.set()
    finished = driver.events.get(timeout=10)
    assert (finished.code, finished.job_id) == (EVENT_JOB_EXECUTED, "crawl:us")
    assert finished.scheduled_run_time == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert len([c for c in drain_calls() if c["kind"] == "crawl"]) == 1
    assert runner.scheduler.get_job("crawl:us").next_run_time == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_shutdown_waits_for_the_running_job_and_keeps_a_queued_one_due(
    tmp_path: Path, clock: Clock, make_runner: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Hourly in both time zones: us and de fall due at the same instant; runs are serial, so one waits.
    clock.now = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    runner, driver = make_runner(write_config(tmp_path, cron="0 * * * *"))
    GATE.clear()
    events = driver.step(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), wait_done=False)
    assert sorted(e.job_id for e in events if e.code == EVENT_JOB_SUBMITTED) == ["crawl:de", "crawl:us"]
    assert STARTED.wait(5)
    running = runner.running_job
    queued = ({"crawl:de", "crawl:us"} - {running}).pop()
    stopper = threading.Thread(target=runner.shutdown)
    stopper.start()
    deadline = time.monotonic() + 10
    while "was waiting for another run" not in caplog.text:
        assert time.monotonic() < deadline, caplog.text
        time.sleep(0.01)
    assert stopper.is_alive()  # still waiting for the running job
    GATE.set()
    stopper.join(10)
    assert not stopper.is_alive()
    assert len([c for c in drain_calls() if c["kind"] == "crawl"]) == 1  # the queued run never started
    stored = stored_jobs(db_url_for(tmp_path, "sw.db"))
    assert stored[running] == datetime(2026, 3, 2, 2, 0, tzinfo=UTC).timestamp()
    assert stored[queued] == datetime(2026, 3, 2, 1, 0, tzinfo=UTC).timestamp()  # due again at restart


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The job store's database: a SQLite file, or a PostgreSQL schema of its own (other test runs
    may share the server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    yield request.getfixturevalue("pg_db_url")


def stored_jobs(url: str) -> dict[str, float]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(text(f"SELECT id, next_run_time FROM {TABLE_NAME}")).all())
    finally:
        engine.dispose()


def test_job_store_persists_across_restarts_and_follows_config_edits(
    tmp_path: Path, clock: Clock, make_runner: Any, db_url: str
) -> None:
    config = write_config(tmp_path)
    runner, _ = make_runner(config, db_url)
    runner.shutdown()
    assert set(stored_jobs(db_url)) == {"crawl:us", "crawl:de", "own:us", "report"}

    # Down over us's 11:00 run; restarted 30 min later, within the grace time: it runs once at start.
    clock.now = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
    _, driver = make_runner(config, db_url)
    assert runs(driver.start_events) == [("crawl:us", datetime(2026, 3, 2, 11, 0, tzinfo=UTC))]
    assert runs(driver.start_events, EVENT_JOB_MISSED) == [
        ("crawl:de", datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    ]
    assert [c["marketplaces"] for c in drain_calls() if c["kind"] == "crawl"] == [["us"]]
    stored = stored_jobs(db_url)
    assert stored["crawl:us"] == datetime(2026, 3, 3, 11, 0, tzinfo=UTC).timestamp()
    assert stored["crawl:de"] == datetime(2026, 3, 3, 2, 0, tzinfo=UTC).timestamp()  # 02:00 was missed

    # An edited config: de removed, the nightly time moved. Its jobs replace the stored ones.
    edited = write_config(tmp_path, US_DE.replace("[marketplaces.de]\n", ""), cron="30 4 * * *")
    make_runner(edited, db_url)[0].shutdown()
    stored = stored_jobs(db_url)
    assert set(stored) == {"crawl:us", "own:us", "report"}
    assert stored["crawl:us"] == datetime(2026, 3, 2, 12, 30, tzinfo=UTC).timestamp()  # 04:30 PST, today


@pytest.mark.parametrize(
    ("find", "replace", "key", "says"),
    [
        ('cron = "{cron}"', 'cron = "0 3 * *"', "schedule.cron", "4 field(s), not 5"),
        ('cron = "{cron}"', 'cron = "0 25 * * *"', "schedule.cron", "not a valid cron expression"),
        ('cron = "{cron}"', 'cron = "0 3 1 * mon"', "schedule.cron", "restricts both"),
        (
            'own_listings_cron = "0 */4 * * *"',
            'own_listings_cron = "every 4 hours"',
            "schedule.own_listings_cron",
            "3 field(s), not 5",
        ),
        (
            'timezone = "UTC"',
            'timezone = "Mars/Olympus"',
            "report.timezone",
            "unknown time zone 'Mars/Olympus'",
        ),
    ],
)
def test_invalid_schedule_fails_at_start_naming_the_key(
    tmp_path: Path, find: str, replace: str, key: str, says: str
) -> None:
    config = write_config(tmp_path, US_DE.replace(find, replace))
    db = tmp_path / "never.db"
    with pytest.raises(ConfigError) as err:
        build_scheduler(load_config(config), config, db_url=f"sqlite:///{db}", target=TARGET)
    message = str(err.value)
    assert f"key '{key}'" in message and says in message
    line = next(n for n, ln in enumerate(config.read_text().splitlines(), 1) if ln.startswith(replace[:8]))
    assert f"line {line}" in message
    if key.endswith("cron"):
        assert "5 fields: minute hour day-of-month month day-of-week" in message
    assert not db.exists()  # nothing opened before the config was found wrong


@pytest.mark.parametrize(
    ("expr", "days"),
    [
        ("0 3 * * *", "Mon Tue Wed Thu Fri Sat Sun"),
        (
            "0 3 * * 1-5",
            "Mon Tue Wed Thu Fri",
        ),  # crontab: 1 is Monday (APScheduler 3 alone would say Tuesday)
        ("0 3 * * 0", "Sun"),
        ("0 3 * * 7", "Sun"),
        ("0 3 * * sat,sun", "Sat Sun"),
        ("0 3 * * */2", "Tue Thu Sat Sun"),  # 0,2,4,6
        ("0 3 * * 5-7", "Fri Sat Sun"),
    ],
)
def test_crontab_weekdays_follow_crontab_not_apscheduler(expr: str, days: str) -> None:
    trigger = crontab_trigger(expr, "UTC")
    seen, when = [], datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # a Sunday noon: the next 7 days
    while (when := trigger.get_next_fire_time(None, when + timedelta(seconds=1))) < datetime(
        2026, 3, 8, 12, 0, tzinfo=UTC
    ):
        seen.append(when)
    assert " ".join(d.strftime("%a") for d in sorted(seen, key=lambda d: d.weekday())) == days


def test_once_crawls_every_marketplace_then_reports_and_returns_the_cycle_code(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert (
        run_once(
            load_config(config), config, db_url="sqlite:///x.db", base_url="http://127.0.0.1:9", target=TARGET
        )
        == 0
    )
    calls = drain_calls()
    assert [(c["kind"], c["marketplaces"], c["base_url"]) for c in calls] == [
        ("crawl", ["us", "de"], "http://127.0.0.1:9"),
        ("report", ["us", "de"], "http://127.0.0.1:9"),
    ]
    RESULT["code"] = 3
    assert run_once(load_config(config), config, target=TARGET) == 3
    assert [c["kind"] for c in drain_calls()] == ["crawl", "report"]  # the report still goes out


SCRIPT = """
import sys
import crawler.scheduler
crawler.scheduler.DEFAULT_TARGET = "tests.test_scheduler:slow_call"
from crawler import cli
from crawler.commands import schedule
if "schedule" not in {c.name for c in cli.app.registered_commands}:
    schedule.register(cli.app)
sys.exit(cli.main(sys.argv[1:]))
"""


class Process:
    """`storewatch schedule` in a subprocess, its output collected by a thread."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, "schedule", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(
            target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")), daemon=True
        )
        self._reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.proc.poll() is None, f"exited early ({self.proc.returncode}):\n{self.output}"
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.output}"
            time.sleep(0.02)

    def finish(self, timeout: float = 10) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self._reader.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()


@pytest.fixture
def start_process() -> Any:
    started: list[Process] = []

    def start(*args: str) -> Process:
        started.append(Process(*args))
        return started[-1]

    yield start
    for proc in started:
        proc.close()


def test_sigterm_waits_for_the_running_job_then_exits_0(tmp_path: Path, start_process: Any) -> None:
    config = write_config(tmp_path)
    url = db_url_for(tmp_path, "sw.db")
    # A stored nightly us run that fell due a minute ago: the restarted scheduler runs it at once.
    runner = build_scheduler(load_config(config), config, db_url=url, target="tests.test_scheduler:slow_call")
    runner.start()
    runner.scheduler.pause()
    runner.scheduler.modify_job("crawl:us", next_run_time=datetime.now(UTC) - timedelta(minutes=1))
    runner.shutdown()

    proc = start_process("--config", str(config), "--db", url)
    deadline = time.monotonic() + 15
    while not (tmp_path / "started").exists():
        assert proc.proc.poll() is None and time.monotonic() < deadline, proc.output
        time.sleep(0.02)
    proc.wait_for("Scheduler running")
    assert "America/Los_Angeles" in proc.output and "UTC" in proc.output
    proc.proc.send_signal(signal.SIGTERM)
    proc.wait_for("waiting for the running job crawl:us")
    assert proc.proc.poll() is None  # still waiting for the job
    (tmp_path / "release").write_text("go")
    t0 = time.monotonic()
    assert proc.finish() == 0, proc.output
    assert time.monotonic() - t0 < 5
    assert (tmp_path / "finished").exists()
    assert "storewatch scheduler stopped." in proc.output


def test_sigint_when_idle_stops_at_once(tmp_path: Path, start_process: Any) -> None:
    proc = start_process("--config", str(write_config(tmp_path)), "--db", db_url_for(tmp_path, "sw.db"))
    proc.wait_for("Scheduler running")
    for name in ("crawl:us", "crawl:de", "own:us", "report"):
        assert name in proc.output
    t0 = time.monotonic()
    proc.proc.send_signal(signal.SIGINT)
    assert proc.finish() == 0, proc.output
    assert time.monotonic() - t0 < 3
    assert "no job is running" in proc.output and "storewatch scheduler stopped." in proc.output


def test_invalid_cron_through_the_cli_exits_2_naming_the_key(tmp_path: Path, start_process: Any) -> None:
    config = write_config(tmp_path, cron="0 3 * * * *")
    proc = start_process("--config", str(config), "--db", db_url_for(tmp_path, "sw.db"))
    assert proc.finish() == 2  # bad input in the config file, like a bad argument
    assert "key 'schedule.cron'" in proc.output and "6 field(s), not 5" in proc.output
    assert "Traceback" not in proc.output

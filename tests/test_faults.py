"""Fault injection: what storewatch does when the world misbehaves. Every crawl runs in its own process
against a real storefront; SMTP is a real aiosmtpd server; the database a real SQLite file, or a real
PostgreSQL schema in the PostgreSQL pass (STOREWATCH_TEST_DB).

Tried here: storefront chaos (503s, robot checks, slow, truncated and drifted pages at once), SMTP down
then up, `kill -9` of a crawl mid-run, an ad-hoc check while the nightly crawl writes, bad input, a
full disk, markup in scraped text, planted secrets, and the permissions of what storewatch creates.
"""
from __future__ import annotations

import os
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.config import load_config
from crawler.db import open_database, sqlite_path
from crawler.monitoring import monitor_run
from crawler.store import Store
from fixtures.storefront import Storefront
from monitors.base import Lifecycle, SubjectKind
from tests.conftest import db_url_for
from tests.databases import all_values, consistency_problems, copy_database

ROOT = Path(__file__).resolve().parent.parent
WATCHLIST = ROOT / "fixtures" / "storefront" / "watchlist.toml"
STOREWATCH = [sys.executable, "-c", "from crawler.cli import entry; entry()"]
CHAOS = "503=0.3,robot=0.2,slow=0.15:ms=300,truncate=0.1,drift=1:path=/s*"
SECRET = "hunter2-Zq9-planted-secret"


def sw(*args: str, home: Path, timeout: float = 180, extra_env: dict[str, str] | None = None,
       **kwargs: Any) -> subprocess.CompletedProcess:
    env = {**os.environ, "STOREWATCH_HOME": str(home), **(extra_env or {})}
    env.pop("STOREWATCH_DB", None)
    return subprocess.run([*STOREWATCH, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False, **kwargs)


def crawl_args(sf: Storefront, db: str, *extra: str) -> list[str]:
    return ["crawl", "--config", str(WATCHLIST), "--base-url", sf.url, "--db", db, *extra]


def copy_db(src: str, tmp_path: Path, name: str) -> str:
    """A copy of the database at `src`, on the test backend, for one test to change."""
    return copy_database(src, db_url_for(tmp_path, name))


@pytest.fixture(scope="module")
def sf() -> Iterator[Storefront]:
    with Storefront(scenario="day1", seed=3) as server:
        yield server


@pytest.fixture
def chaos_free(sf: Storefront) -> Iterator[Storefront]:
    yield sf
    sf.set_scenario("day1")
    sf.set_failures(None)


@pytest.fixture(scope="module")
def day1(sf: Storefront, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a database holding one complete, monitored day1 crawl (tests work on copies)."""
    home = tmp_path_factory.mktemp("day1")
    url = db_url_for(home, "day1.db")
    done = sw(*crawl_args(sf, url, "--quiet"), home=home)
    assert done.returncode == 0, done.stderr[-3000:]
    with open_database(url) as db:
        store = Store(db)
        run = store.latest_run()
        unread = [(t.url, t.outcome, t.reason) for t in store.run_targets(run.id) if t.outcome.value != "ok"]
        assert unread == [], "the baseline must be read whole, or later diffs have nothing to compare with"
        monitor_run(store, load_config(WATCHLIST), run.id)
    return url


def latest(db_url: str) -> Any:
    with open_database(db_url) as db:
        return Store(db).latest_run(status=None)


# -- the storefront misbehaves in every way at once --------------------------------------------------


@pytest.mark.stores_data
def test_chaos_run_finishes_records_every_outcome_and_raises_no_false_change(
        chaos_free: Storefront, day1: str, tmp_path: Path) -> None:
    import json

    from crawler.delivery import build_daily_report

    db = copy_db(day1, tmp_path, "chaos.db")
    chaos_free.set_failures(CHAOS)
    done = sw(*crawl_args(chaos_free, db, "--json"), home=tmp_path)
    assert done.returncode in (0, 3), done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["status"] == "complete" and summary["counts"]["pages"] == summary["counts"]["pages_expected"]
    modes = {mode for _, _, mode in chaos_free.failure_log}
    assert {"503", "robot", "slow", "truncate", "drift"} <= modes  # the chaos really happened
    config = load_config(WATCHLIST)
    with open_database(db) as database:
        store = Store(database)
        run = store.run(summary["run_id"])
        targets = store.run_targets(run.id)
        assert targets and all(t.outcome is not None for t in targets)
        assert sum(t.outcome.value != "ok" for t in targets) >= len(targets) // 4
        alerts = monitor_run(store, config, run.id)
        false_changes = [(a.monitor, a.subject, a.field, a.lifecycle.value, a.before, a.after) for a in alerts
                         if a.subject_kind is not SubjectKind.CRAWL and (a.lifecycle is not Lifecycle.STILL
                                                                          or a.event)]
        assert false_changes == []
        assert any(a.subject_kind is SubjectKind.CRAWL for a in alerts)
        report = build_daily_report(store, config, generated_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
                                    data_dir=tmp_path, runs=[run])
    assert report.model.health_first and report.model.sections[0].id == "health"
    assert report.text.find("blocked") < max(report.text.find(w) for w in ("Buy box", "buy box", "Keyword"))


# -- SMTP down during delivery, then up ---------------------------------------------------------------


def test_smtp_down_then_up_delivers_exactly_once(tmp_path: Path) -> None:
    import socket

    from aiosmtpd.controller import Controller

    from reports.build import build_report
    from reports.mail import Outbox, Queued, SmtpTransport, build_message
    from reports.samples import sample_alerts
    from tests.test_mail import Inbox

    with socket.socket() as s:  # a free port with nobody listening: the server is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    transport = SmtpTransport("127.0.0.1", port, "none", timeout=3)
    at = datetime(2026, 3, 2, 8, tzinfo=UTC)
    report = build_report(sample_alerts(at), language="en", generated_at=at)
    msg = build_message(report, sender="sw@localhost", recipients=["me@localhost"])
    outbox = Outbox(tmp_path / "outbox")
    with pytest.raises(Queued):
        outbox.deliver(msg, transport)
    assert len(outbox.pending()) == 1
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert outbox.retry(transport) == (1, 0)
        assert outbox.retry(transport) == (0, 0)  # nothing left: never sent twice
    finally:
        controller.stop()
    assert len(inbox.messages) == 1 and outbox.pending() == []


# -- kill -9 of the crawl mid-run ---------------------------------------------------------------------


@pytest.mark.stores_data
def test_a_crawl_killed_mid_run_leaves_a_consistent_database_and_the_next_run_diffs_against_complete_data(
        chaos_free: Storefront, day1: str, tmp_path: Path) -> None:
    db = copy_db(day1, tmp_path, "killed.db")
    baseline = latest(db)
    chaos_free.set_scenario("day2")
    # The killed run must not reach B03RLSBH60 (it stores pages in batches, the first after a second):
    # readings an incomplete run did store are history, and the change below would be seen there.
    chaos_free.set_failures("slow=1:ms=8000:path=/dp/B03RLSBH60,slow=1:ms=150")
    env = {**os.environ, "STOREWATCH_HOME": str(tmp_path)}
    proc = subprocess.Popen([*STOREWATCH, *crawl_args(chaos_free, db, "--quiet")], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = latest(db)
        if run.id != baseline.id and len(_targets(db, run.id)) >= 5:
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the crawl stored nothing")
    parsers = _children(proc.pid)
    assert parsers, "the nightly crawl parses in worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed = latest(db)
    assert killed.status == "running"  # as the dead process left it
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in parsers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in parsers), "a parser process outlived its crawl"
    # Both backends: nothing points at a missing row, and no page was stored half (a page and what was
    # read on it are one transaction). SQLite's file is also checked page by page.
    assert consistency_problems(db) == []
    path = sqlite_path(db)
    if path is not None:
        con = sqlite3.connect(path)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            con.close()

    chaos_free.set_failures(None)
    done = sw(*crawl_args(chaos_free, db, "--quiet"), home=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    with open_database(db) as database:
        store = Store(database)
        assert store.run(killed.id).status == "incomplete"
        new = store.latest_run()
        assert new.id not in (killed.id, baseline.id) and new.status == "complete"
        assert store.previous_run(new.id).id == baseline.id  # never the half-written run
        alerts = monitor_run(store, load_config(WATCHLIST), new.id)
    found = {(a.monitor, a.subject, a.before, a.after) for a in alerts if a.lifecycle is Lifecycle.OPENED}
    assert ("reviews_deleted", "B03RLSBH60", 1523, 1498) in found  # day1 -> day2, across the killed run


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _targets(db: str, run_id: int) -> list[Any]:
    with open_database(db) as database:
        return Store(database).run_targets(run_id)


# -- an ad-hoc check while the nightly crawl writes the same database ---------------------------------


@pytest.mark.stores_data
def test_adhoc_check_while_the_nightly_crawl_writes(chaos_free: Storefront, tmp_path: Path) -> None:
    db = db_url_for(tmp_path, "shared.db")
    chaos_free.set_failures("slow=1:ms=60")
    env = {**os.environ, "STOREWATCH_HOME": str(tmp_path)}
    crawl = subprocess.Popen([*STOREWATCH, *crawl_args(chaos_free, db, "--quiet")], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # the crawl is writing pages now
    checks = [sw("check", asin, "--base-url", chaos_free.url, "--db", db, "--json", home=tmp_path)
              for asin in ("B0NB4SPGE0", "B0BTCPSXTQ")]
    _, err = crawl.communicate(timeout=180)
    assert crawl.returncode == 0, err[-3000:]
    assert all(c.returncode == 0 for c in checks), [c.stderr for c in checks]
    with open_database(db) as database:
        runs = Store(database).runs()
    assert sorted(r.kind for r in runs) == ["check", "check", "crawl"] and all(r.status == "complete" for r in runs)


# -- bad input: a clear message, nothing written -------------------------------------------------------


MARKET = '[marketplaces.us]\nown_seller_ids = ["A2NPK0UTF1TTRS"]\n'
BAD_CONFIGS = {
    "malformed TOML": ('name = "x"\nproducts = [\n', "not valid TOML"),
    "unknown key": (f'name = "x"\ncolour = "red"\n{MARKET}', "colour"),
    "invalid ASIN": (f'products = [{{ asin = "NOT-AN-ASIN", marketplace = "us" }}]\n{MARKET}', "ASIN"),
    "invalid marketplace": (f'products = [{{ asin = "B0NB4SPGE0", marketplace = "xx" }}]\n{MARKET}', "xx"),
    "invalid URL": (f'{MARKET}base_url = "ftp//nowhere"\n', "base_url"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_bad_config_is_refused_with_a_clear_message_and_nothing_written(case: str, tmp_path: Path) -> None:
    text, needle = BAD_CONFIGS[case]
    config = tmp_path / "bad.toml"
    config.write_text(text, encoding="utf-8")
    home = tmp_path / "home"
    done = sw("crawl", "--config", str(config), "--base-url", "http://127.0.0.1:9", home=home, timeout=60)
    assert done.returncode == 2, (done.returncode, done.stdout)  # bad input, like a bad argument
    assert "Traceback" not in done.stderr and needle in done.stderr and "bad.toml" in done.stderr, done.stderr
    assert "(and 1 more" not in done.stderr  # the one error, not a consequence of an unrelated one
    assert not home.exists() or not any(home.rglob("*.db"))


@pytest.mark.parametrize("args,needle", [
    (["check", "B0BAD"], "ASIN"),
    (["check", "B0NB4SPGE0", "--marketplace", "zz"], "zz"),
    (["check", "B0NB4SPGE0", "--base-url", "not a url"], "URL"),
])
def test_bad_arguments_are_refused_before_anything_is_written(args: list[str], needle: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = sw(*args, home=home, timeout=60)
    assert done.returncode == 2 and needle in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not home.exists() or not any(home.rglob("*.db"))


def test_an_unusable_data_directory_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = sw("check", "B0NB4SPGE0", "--base-url", "http://127.0.0.1:9", home=blocker / "home", timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert str(blocker / "home") in done.stderr and "STOREWATCH_HOME" in done.stderr


# -- a full disk -----------------------------------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (root only); else skip."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        filler = mount / "filler"
        with filler.open("wb", buffering=0) as f:  # fill it up, leaving a few KiB: full, not absent
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
            f.truncate(max(0, filler.stat().st_size - 8192))
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.stores_data
def test_a_full_disk_while_writing_the_report_fails_cleanly(day1: str, tiny_disk: Path, tmp_path: Path) -> None:
    db = copy_db(day1, tmp_path, "r.db")
    done = sw("report", "--config", str(WATCHLIST), "--db", db, home=tiny_disk, timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and ("No space" in done.stderr or "space" in done.stderr.lower()), \
        done.stderr[-2000:]
    # No half-written report left behind looking like a whole one.
    assert not [p for p in tiny_disk.rglob("*.html")]


@pytest.mark.stores_data
def test_a_file_size_limit_while_writing_the_report_fails_cleanly(day1: str, tmp_path: Path) -> None:
    """The same through RLIMIT_FSIZE (no mount needed): no file may grow past 2 KiB (on SQLite its
    shared-memory file is the first to hit it, on PostgreSQL the report)."""
    db = copy_db(day1, tmp_path, "limit.db")

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    done = sw("report", "--config", str(WATCHLIST), "--db", db, home=tmp_path / "home", timeout=120,
              preexec_fn=limit)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "storewatch: error" in done.stderr


# -- untrusted text and secrets ------------------------------------------------------------------------


def test_markup_in_scraped_text_is_escaped_in_html_email_and_chat(tmp_path: Path) -> None:
    from monitors.base import Alert, Severity
    from reports.build import build_report
    from reports.mail import build_message

    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    alert = Alert(monitor="unauthorised_seller", severity=Severity.WARNING, subject_kind=SubjectKind.PRODUCT,
                  subject="B0NB4SPGE0", marketplace="us", field="seller", before=None, after=evil,
                  message_key="unauthorised_seller", params={"seller": evil, "title": evil},
                  lifecycle=Lifecycle.OPENED)
    report = build_report([alert], language="en", generated_at=datetime(2026, 3, 2, 8, tzinfo=UTC), runs=[],
                          series={}, data_dir=tmp_path, own_asins={"B0NB4SPGE0"}, titles={"B0NB4SPGE0": evil})
    for html in (report.html_email, report.html_archive):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html or "&#34;" in html or "&lt;" in html
    msg = build_message(report, sender="sw@localhost", recipients=["me@localhost"])
    html_part = msg.get_body(("html",)).get_content()
    assert "<script>alert" not in html_part and "<img src=x" not in html_part


@pytest.mark.stores_data
def test_planted_secrets_never_appear_in_logs_reports_or_json(chaos_free: Storefront, tmp_path: Path) -> None:
    config = tmp_path / "secret.toml"
    config.write_text(WATCHLIST.read_text(encoding="utf-8").replace("[report]", """[email]
smtp_host = "127.0.0.1"
smtp_port = 9
security = "none"
username = "me"
password_env = "SW_TEST_SMTP_PASSWORD"
sender = "sw@localhost"
recipients = ["me@localhost"]

[report]""").replace("max_robot_checks = 1000", 'max_robot_checks = 1000\nproxies_env = "SW_TEST_PROXIES"'),
        encoding="utf-8")
    env = {"SW_TEST_SMTP_PASSWORD": SECRET, "SW_TEST_PROXIES": f"http://user:{SECRET}@127.0.0.1:9"}
    db = db_url_for(tmp_path, "s.db")
    home = tmp_path / "home"
    outputs = [
        sw("crawl", "--config", str(config), "--base-url", chaos_free.url, "--db", db, "--json", "--verbose",
           home=home, extra_env=env),
        sw("report", "--config", str(config), "--db", db, "--send", home=home, extra_env=env),
        sw("outbox", "--retry", "--config", str(config), home=home, extra_env=env),
        sw("check", "B0NB4SPGE0", "--base-url", chaos_free.url, "--db", db, "--json", "--verbose", home=home,
           extra_env=env),
    ]
    for done in outputs:
        assert SECRET not in done.stdout and SECRET not in done.stderr, done.args
    for path in home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert not [v for v in all_values(db) if SECRET in v]
    path = sqlite_path(db)
    if path is not None:  # freed pages too
        assert SECRET.encode() not in path.read_bytes()


@pytest.mark.sqlite_only("the permissions of the SQLite file storewatch creates (PostgreSQL keeps its own files)")
def test_the_data_directory_and_database_are_user_only(chaos_free: Storefront, tmp_path: Path) -> None:
    home = tmp_path / "fresh" / "home"
    old = os.umask(0o022)
    try:
        done = sw("check", "B0NB4SPGE0", "--base-url", chaos_free.url, home=home, timeout=60)
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    [db] = home.glob("*.db")
    assert stat.S_IMODE(db.stat().st_mode) & 0o077 == 0

"""Bad input on the command line: exit code 2 and one line that says what a valid value looks like."""
from __future__ import annotations

import pytest

from crawler.cli import main


@pytest.mark.parametrize("argv,words", [
    (["check", "B0BAD"], "an ASIN is 10 characters"),
    (["check", "b08n5wrwn!"], "invalid ASIN"),
    (["check", "B08N5WRWNW", "--marketplace", "zz"], "use one of us, ca, mx"),
    (["check", "B08N5WRWNW", "--base-url", "ftp://example"], "scheme must be http or https"),
    (["check", "B08N5WRWNW", "--base-url", "http://"], "names no host"),
    (["offers", "123"], "invalid ASIN"),
    (["rank", "   "], "keyword is empty"),
    (["rank", "yoga mat", "--asin", "nope"], "invalid ASIN"),
    (["top", "/gp/bestsellers/x", "--marketplace", "moon"], "unknown marketplace"),
])
def test_bad_input_exits_2_with_a_clear_message(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err
    assert len(err.strip().splitlines()) == 1


def test_missing_argument_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "Missing argument" in capsys.readouterr().err


def test_init_writes_example_and_refuses_to_overwrite(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "watch.toml"
    assert main(["init", str(target)]) == 0
    assert "[marketplaces.us]" in target.read_text()
    assert main(["init", str(target)]) == 2
    assert "--force" in capsys.readouterr().err


def test_crawls_never_open_scrapys_remote_control_server() -> None:
    """Scrapy 2.19's RemoteControl extension runs Python code sent to a local port: off in every crawl."""
    from crawler.settings import scrapy_settings

    assert scrapy_settings()["REMOTE_CONTROL_ENABLED"] is False
    assert scrapy_settings(ad_hoc=True)["REMOTE_CONTROL_ENABLED"] is False


@pytest.mark.parametrize("argv,missing,words", [
    (["worker", "--redis", "redis://127.0.0.1:6379", "--db", "sqlite:///unused.db"], "scrapy_redis",
     "pip install 'storewatch[distributed]'"),
    (["crawl", "--config", "unused.toml", "--distributed", "redis://127.0.0.1:6379"], "scrapy_redis",
     "pip install 'storewatch[distributed]'"),
    (["alerts", "--db", "postgresql://postgres@127.0.0.1:5432/test"], "psycopg", "pip install 'storewatch[postgres]'"),
])
def test_a_missing_optional_package_names_its_install_command(
        argv: list[str], missing: str, words: str, tmp_path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name, *a))
    monkeypatch.chdir(tmp_path)
    if argv[0] == "crawl":
        (tmp_path / "unused.toml").write_text('[marketplaces.us]\n[[products]]\nasin = "B08N5WRWNW"\nmarketplace = "us"\n')
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "unused.db").exists()  # nothing written


def test_version_names_the_installed_release(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"storewatch {version('storewatch')}"

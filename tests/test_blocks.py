"""Block detection: every real blocked capture is caught, no real content page is flagged, traps stay quiet."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from crawler.marketplaces import get as get_marketplace
from crawler.records import Outcome, to_jsonable
from spiders.parsers.blocks import detect_block
from spiders.parsers.product import parse_product
from tests.conftest import GOLDEN_REALPAGES, REALPAGES, realpages_labels

GOLDEN = GOLDEN_REALPAGES / "blocked"
LABELS = {e["file"]: e for e in realpages_labels()}
CAUGHT = {Outcome.BLOCKED, Outcome.NOT_FOUND, Outcome.HTTP_ERROR}
CONTENT_PAGES = sorted(p for kind in ("product", "search", "lists", "offers") for p in (REALPAGES / kind).glob("*.html"))


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_real_blocked_page(golden: Path, realpages: Path, update_goldens: bool) -> None:
    entry = LABELS.get(f"blocked/{golden.stem}.html")
    if entry is None or not (realpages / entry["file"]).exists():
        pytest.skip(f"capture blocked/{golden.stem}.html not found")
    data = (realpages / entry["file"]).read_bytes()
    url = f"https://{get_marketplace(entry['marketplace']).host}{entry['route']}"
    snap = parse_product(data, url, entry["marketplace"])
    got = to_jsonable(snap)
    want = json.loads(golden.read_text(encoding="utf-8"))
    if update_goldens:
        golden.write_text(json.dumps({k: got[k] for k in want}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return
    assert {k: got[k] for k in want} == want
    assert snap.outcome in CAUGHT
    # a block never carries data
    assert snap.title is None and snap.price is None and snap.buybox_seller is None and snap.rating is None
    # detection alone, on text and bytes alike
    assert detect_block(data) == detect_block(data.decode("utf-8", "replace")) is not None


def test_every_labelled_blocked_page_has_a_golden() -> None:
    if not LABELS:
        pytest.skip("real Amazon captures not found in ../shared/realpages")
    stems = {p.stem for p in GOLDEN.glob("*.json")}
    assert {Path(f).stem for f in LABELS if f.startswith("blocked/")} <= stems


@pytest.mark.parametrize("page", CONTENT_PAGES or [None], ids=lambda p: f"{p.parent.name}/{p.stem}" if p else "none")
def test_real_content_pages_are_not_blocks(page: Path | None, realpages: Path) -> None:
    if page is None:
        pytest.skip("real Amazon captures not found")
    data = page.read_bytes()
    assert detect_block(data) is None
    assert detect_block(data.decode("utf-8", "replace"), 200) is None


def test_detection_is_cheap_on_a_big_page(realpages: Path) -> None:
    data = max(CONTENT_PAGES, key=lambda p: p.stat().st_size).read_bytes()
    t0 = time.perf_counter()
    for _ in range(10):
        detect_block(data)
    assert (time.perf_counter() - t0) / 10 < 0.01  # well under a DOM parse of the same page


@pytest.mark.parametrize("html", ["", "   \n", "\ufeff", b"", b"\r\n"])
def test_empty_documents(html: str | bytes) -> None:
    assert detect_block(html) == (Outcome.HTTP_ERROR, "empty document")


@pytest.mark.parametrize("status, outcome", [(404, Outcome.NOT_FOUND), (410, Outcome.NOT_FOUND),
                                             (429, Outcome.BLOCKED), (403, Outcome.BLOCKED),
                                             (500, Outcome.HTTP_ERROR), (503, Outcome.HTTP_ERROR)])
def test_status_codes_on_plain_pages(status: int, outcome: Outcome) -> None:
    result = detect_block("<html><body><p>hello</p></body></html>", status)
    assert result is not None and result[0] is outcome


_TRAPS = (
    '<script>var opts = {"isRobot":false, "robotdetection": 1};</script>'
    '<div class="a-popover-preload" style="display:none">Sorry! Something went wrong! Please try again.</div>'
    '<a href="/ap/signin?openid.return_to=x" id="nav-link-accountList">Hello, sign in</a>'
    '<script src="https://x.token.awswaf.com/x/token.js"></script><span id="productTitle">Robot Vacuum</span>'
)


def test_traps_on_a_content_page_do_not_flag() -> None:
    html = "<html><head><title>Amazon.com: Robot Vacuum</title></head><body>" + _TRAPS + "x" * 70_000 + "</body></html>"
    assert detect_block(html) is None
    assert detect_block(html, 200) is None


def test_captcha_marker_variants() -> None:
    newer = '<html><body><form action="/errors_page/validateCaptcha" method="get"><button>Go</button></form></body></html>'
    assert detect_block(newer)[0] is Outcome.BLOCKED
    escaped = "<form method=\\'get\\' action=\\'/errors/validateCaptcha\\'>"  # copied out of a Python repr
    assert detect_block(escaped)[0] is Outcome.BLOCKED
    hidden_only = '<html><body><input type=hidden name="amzn" value="a"><input type=hidden name="amzn-r" value="/"></body></html>'
    assert detect_block(hidden_only)[0] is Outcome.BLOCKED


def test_waf_challenge_and_dogs() -> None:
    waf = ('<html><head><title></title><script>window.gokuProps = {"key":"x","iv":"y","context":"z"};</script>'
           '<script src="https://a.b.token.awswaf.com/a/b/challenge.js"></script></head><body></body></html>')
    assert detect_block(waf, 202)[0] is Outcome.BLOCKED
    dogs404 = '<html><body><img src="https://x/error/en_US/title._TTD_.png"><a href="/dogsofamazon">d</a></body></html>'
    assert detect_block(dogs404)[0] is Outcome.NOT_FOUND
    assert detect_block(dogs404, 404)[0] is Outcome.NOT_FOUND
    dogs503 = dogs404.replace("title._TTD_", "500_503._TTD_")
    assert detect_block(dogs503, 503)[0] in (Outcome.BLOCKED, Outcome.HTTP_ERROR)


def test_sign_in_wall_but_not_a_product_with_a_sign_in_form() -> None:
    wall = ('<html><head><title>Amazon Sign-In</title></head><body><form name="signIn" method="post" '
            'action="https://www.amazon.in/ap/signin"><input id="ap_email"></form></body></html>')
    assert detect_block(wall)[0] is Outcome.BLOCKED
    product = wall.replace("<body>", '<body><span id="productTitle">Thing</span>')
    assert detect_block(product) is None

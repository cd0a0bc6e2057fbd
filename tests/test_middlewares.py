"""Downloader middlewares of our own that stand in for Scrapy's (robot checks: test_politeness, test_blocks)."""
from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.middlewares import HeadMetaRefreshMiddleware

FILLER = "<p>" + "Wasserkocher – Edelstahl " * 16_000 + "</p>"  # a 400 KB page


def respond(head: str, encoding: str = "utf-8") -> HtmlResponse:
    html = f"<html><head>{head}</head><body>{FILLER}</body></html>"
    return HtmlResponse("http://127.0.0.1/dp/B0X", body=html.encode(encoding), encoding=encoding,
                        request=Request("http://127.0.0.1/dp/B0X"))


@pytest.fixture
def middleware() -> HeadMetaRefreshMiddleware:
    return HeadMetaRefreshMiddleware.from_crawler(get_crawler())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_meta_refresh_redirects_as_with_scrapys_middleware(middleware: HeadMetaRefreshMiddleware,
                                                               encoding: str) -> None:
    response = respond('<meta http-equiv="Refresh" content="0; url=/dp/B0Y">', encoding)
    redirected = middleware.process_response(response.request, response)
    scrapys = MetaRefreshMiddleware.from_crawler(get_crawler()).process_response(response.request, response)
    assert isinstance(redirected, Request) and redirected.url.startswith("http://127.0.0.1/dp/B0Y")
    assert redirected.url == scrapys.url


def test_a_page_without_one_passes_without_being_decoded(middleware: HeadMetaRefreshMiddleware) -> None:
    response = respond('<meta charset="utf-8"><title>Wasserkocher</title>')
    assert middleware.process_response(response.request, response) is response
    assert response._cached_ubody is None  # Scrapy's middleware would have decoded all 400 KB

"""Offers, search-result and best-seller list pages in and out of the database.

Each page is a `targets` row plus one page row; search results and list entries are one compact row
each, with their titles kept once per text in `contents`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from crawler import rowcodec as rc
from crawler.models import ListEntryRow, ListPageRow, OffersPageRow, SearchPageRow, SearchResultRow
from crawler.product_store import ContentCache, chunked
from crawler.records import ListEntry, ListPage, Money, OffersPage, Outcome, SearchPage, SearchResult


def _money(amount: Any, currency: str | None) -> Money | None:
    return None if amount is None else Money(amount, currency)  # type: ignore[arg-type]


def _by_target(conn: Connection, table: Any, ids: list[int], *order: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for part in chunked(ids):
        for row in conn.execute(select(table).where(table.c.target_id.in_(part)).order_by(*order)):
            out.setdefault(row.target_id, []).append(row)
    return out


class PageQueries:
    def __init__(self, contents: ContentCache) -> None:
        self.contents = contents

    # -- offers --------------------------------------------------------------------------------------

    def save_offers(self, conn: Connection, target_id: int, page: OffersPage) -> None:
        self.save_offers_many(conn, [(target_id, page)])

    def save_offers_many(self, conn: Connection, pages: Sequence[tuple[int, OffersPage]]) -> None:
        rows = [
            {
                "target_id": target_id,
                "total_count": page.total_count,
                "offers": rc.encode_offers(page.offers),
                "missing": rc.strings(page.missing),
            }
            for target_id, page in pages
        ]
        if rows:
            conn.execute(insert(OffersPageRow), rows)

    def load_offers(self, conn: Connection, targets: list[Any]) -> list[OffersPage]:
        rows = _by_target(conn, OffersPageRow.__table__, [t.id for t in targets])
        out = []
        for t in targets:
            row = rows.get(t.id, [None])[0]
            out.append(
                OffersPage(
                    asin=t.key,
                    marketplace=t.marketplace,
                    url=t.url,
                    outcome=Outcome(t.outcome),
                    reason=t.reason,
                    offers=rc.decode_offers(row.offers if row else None),
                    total_count=row.total_count if row else None,
                    missing=rc.unstrings(row.missing if row else None),
                )
            )
        return out

    # -- search --------------------------------------------------------------------------------------

    def save_search(self, conn: Connection, target_id: int, page: SearchPage) -> None:
        self.save_search_many(conn, [(target_id, page)])

    def save_search_many(self, conn: Connection, pages: Sequence[tuple[int, SearchPage]]) -> None:
        """Search pages with their results: an insert per table, however many pages."""
        if not pages:
            return
        heads = [
            {"target_id": t, "banners": rc.encode_banners(page.banners), "missing": rc.strings(page.missing)}
            for t, page in pages
        ]
        conn.execute(insert(SearchPageRow), heads)
        texts = [rc.result_text(r) for _, page in pages for r in page.results]
        text_ids = iter(self.contents.ids_for(conn, texts))
        rows = [
            {
                "target_id": target_id,
                "n": n,
                "page": r.page,
                "position": r.position,
                "asin": r.asin,
                "sponsored": r.sponsored,
                "organic_position": r.organic_position,
                "sponsored_position": r.sponsored_position,
                "text_id": next(text_ids),
                "price": r.price.amount if r.price is not None else None,
                "price_currency": r.price.currency if r.price is not None else None,
                "rating": r.rating,
                "review_count": r.review_count,
                "badges": rc.strings(r.badges),
                "coupon": r.coupon,
                "deal": r.deal,
            }
            for target_id, page in pages
            for n, r in enumerate(page.results)
        ]
        if rows:
            conn.execute(insert(SearchResultRow), rows)

    def load_search(self, conn: Connection, targets: list[Any]) -> list[SearchPage]:
        ids = [t.id for t in targets]
        pages = _by_target(conn, SearchPageRow.__table__, ids)
        table = SearchResultRow.__table__
        results = _by_target(conn, table, ids, table.c.target_id, table.c.n)
        texts = self.contents.load(conn, [r.text_id for rs in results.values() for r in rs])
        out = []
        for t in targets:
            head = pages.get(t.id, [None])[0]
            out.append(
                SearchPage(
                    keyword=t.key,
                    marketplace=t.marketplace,
                    url=t.url,
                    page=t.page,
                    outcome=Outcome(t.outcome),
                    reason=t.reason,
                    results=tuple(_result(r, texts) for r in results.get(t.id, ())),
                    banners=rc.decode_banners(head.banners if head else None),
                    missing=rc.unstrings(head.missing if head else None),
                )
            )
        return out

    # -- lists ---------------------------------------------------------------------------------------

    def save_list(self, conn: Connection, target_id: int, page: ListPage) -> None:
        self.save_list_many(conn, [(target_id, page)])

    def save_list_many(self, conn: Connection, pages: Sequence[tuple[int, ListPage]]) -> None:
        """List pages with their entries: an insert per table, however many pages."""
        if not pages:
            return
        heads = [
            {
                "target_id": target_id,
                "list_kind": page.kind,
                "name": page.name,
                "category": page.category,
                "missing": rc.strings(page.missing),
            }
            for target_id, page in pages
        ]
        conn.execute(insert(ListPageRow), heads)
        texts = [rc.result_text(e) for _, page in pages for e in page.entries]
        text_ids = iter(self.contents.ids_for(conn, texts))
        rows = [
            {
                "target_id": target_id,
                "n": n,
                "rank": e.rank,
                "asin": e.asin,
                "text_id": next(text_ids),
                "price": e.price.amount if e.price is not None else None,
                "price_currency": e.price.currency if e.price is not None else None,
                "rating": e.rating,
                "review_count": e.review_count,
                "list_name": e.list,
            }
            for target_id, page in pages
            for n, e in enumerate(page.entries)
        ]
        if rows:
            conn.execute(insert(ListEntryRow), rows)

    def load_lists(self, conn: Connection, targets: list[Any]) -> list[ListPage]:
        ids = [t.id for t in targets]
        pages = _by_target(conn, ListPageRow.__table__, ids)
        table = ListEntryRow.__table__
        entries = _by_target(conn, table, ids, table.c.target_id, table.c.n)
        texts = self.contents.load(conn, [e.text_id for es in entries.values() for e in es])
        out = []
        for t in targets:
            head = pages[t.id][0]
            out.append(
                ListPage(
                    kind=head.list_kind,
                    marketplace=t.marketplace,
                    url=t.url,
                    outcome=Outcome(t.outcome),
                    reason=t.reason,
                    name=head.name,
                    category=head.category,
                    entries=tuple(_entry(e, texts) for e in entries.get(t.id, ())),
                    missing=rc.unstrings(head.missing),
                )
            )
        return out


def _result(r: Any, texts: dict[int, Any]) -> SearchResult:
    title, brand = texts.get(r.text_id) or (None, None)
    return SearchResult(
        page=r.page,
        position=r.position,
        asin=r.asin,
        sponsored=r.sponsored,
        organic_position=r.organic_position,
        sponsored_position=r.sponsored_position,
        title=title,
        brand=brand,
        price=_money(r.price, r.price_currency),
        rating=r.rating,
        review_count=r.review_count,
        badges=rc.unstrings(r.badges),
        coupon=r.coupon,
        deal=r.deal,
    )


def _entry(e: Any, texts: dict[int, Any]) -> ListEntry:
    (title,) = texts.get(e.text_id) or (None,)
    return ListEntry(
        rank=e.rank,
        asin=e.asin,
        title=title,
        price=_money(e.price, e.price_currency),
        rating=e.rating,
        review_count=e.review_count,
        list=e.list_name,
    )

"""The FIFO allocator behind the parser processes' shared page buffer: ranges never overlap, never leave
the buffer, and space comes back as the oldest ranges are released."""
from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from crawler.byte_ring import ByteRing


@given(st.lists(st.one_of(st.integers(1, 40), st.none()), max_size=200))
def test_live_ranges_never_overlap_and_stay_inside(steps: list[int | None]) -> None:
    ring = ByteRing(100)
    for step in steps:
        if step is None:
            if ring.live:
                ring.release_oldest()
            continue
        before = list(ring.live)
        start = ring.take(step)
        if start is None:
            assert ring.live == type(ring.live)(before)  # a refusal changes nothing
            continue
        ranges = sorted(ring.live)
        assert all(0 <= a < b <= 100 for a, b in ranges)
        assert all(b1 <= a2 for (_, b1), (a2, _) in pairwise(ranges))


def test_space_comes_back_oldest_first_and_wraps() -> None:
    ring = ByteRing(100)
    assert [ring.take(40), ring.take(40), ring.take(40)] == [0, 40, None]  # 20 left at the end
    ring.release_oldest()
    assert ring.take(30) == 0  # wraps into what the oldest freed
    assert ring.take(20) is None  # 10 left before the live range at 40
    assert ring.take(10) == 30
    ring.release_oldest()
    ring.release_oldest()
    ring.release_oldest()
    assert ring.take(100) == 0  # empty again: the whole buffer

"""A first-in first-out allocator of byte ranges in one buffer: the page bodies on their way to a parser
process (crawler.parse_pool) sit in memory both processes map, and a range is freed when its page's
answer comes back, oldest first."""

from __future__ import annotations

from collections import deque


class ByteRing:
    def __init__(self, size: int) -> None:
        self.size = size
        self.head = 0  # where the next range starts, unless it must wrap to 0
        self.live: deque[tuple[int, int]] = deque()  # (start, end) of ranges in use, oldest first

    def take(self, n: int) -> int | None:
        """The start of a free range of `n` bytes, or None when there is no room now."""
        if not self.live:
            start = 0 if n <= self.size else None
        else:
            tail = self.live[0][0]
            if self.live[-1][0] < tail:  # wrapped: free is [head, tail)
                start = self.head if self.head + n <= tail else None
            elif self.head + n <= self.size:  # free is [head, size) and [0, tail)
                start = self.head
            else:
                start = 0 if n <= tail else None
        if start is not None:
            self.head = start + n
            self.live.append((start, start + n))
        return start

    def release_oldest(self) -> None:
        self.live.popleft()

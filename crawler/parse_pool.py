"""Parsing in worker processes, so the reactor keeps downloading and storing while pages are parsed.

A parse is ~2-4 ms of mostly Python per 400 KB page; in the reactor's thread it is the largest share
of a plain-HTTP crawl's time. Threads do not help: only lexbor's HTML parse (~0.45 ms) releases the GIL.
In a process the whole parse runs on another core; the reactor's share is sending the body and reading
back the record.

Each worker is a `python -m crawler.parse_pool FD [MEMFD BYTES]` process on one end of a socket pair;
the reactor talks to it through an asyncio transport: no helper threads in the crawl's process. (A
ProcessPoolExecutor's feeder and manager threads fight the reactor for the GIL at every page: measured,
the reactor's socket calls took 1-1.5 ms each to get the GIL back.) Jobs and answers are pickles with
a length prefix; a worker answers its jobs in order. The page body itself waits in memory both
processes map (a memfd, used as a first-in first-out ring: crawler.byte_ring), so the reactor copies it
once instead of pickling it into the socket.

Switched on by `STOREWATCH_PARSE_PROCESSES` (the nightly plain-HTTP crawl sets it, see
crawler.settings); without it spiders parse inline, as an ad-hoc `check` of one page should (starting a
process would cost more than the parse). A worker that dies costs nothing but speed: its pages, and
every later one, are parsed inline. A worker whose crawl was killed reads end-of-file and exits.
"""

from __future__ import annotations

import asyncio
import logging
import mmap
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from crawler.byte_ring import ByteRing

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTRIBUTE = "storewatch_parse_pool"  # where a crawler keeps its pool, for the spider's callbacks
PARSER_MODULES = ("spiders.parsers.product", "spiders.parsers.offers", "spiders.parsers.search",
                  "spiders.parsers.lists")
_HEADER = struct.Struct("!Q")
# Per worker. Scrapy holds at most 5 MB of responses in its scraper (SCRAPER_SLOT_MAX_ACTIVE_SIZE), so
# this holds every body waiting for a parse; a larger page travels in the message.
SHARED_BYTES = 8 * 1024 * 1024
SHARED_FROM = 64 * 1024  # bodies this large go through shared memory, smaller ones in the message


class _Shared:
    """A job argument that waits in the shared buffer at [start, end)."""

    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end

    def __reduce__(self) -> tuple[type, tuple[int, int]]:
        return _Shared, (self.start, self.end)


class WorkerGone(Exception):
    """The worker process ended before answering."""


class _Worker(asyncio.Protocol):
    """One worker process and the transport to it; futures wait for answers in the order jobs were sent."""

    def __init__(self, shared_bytes: int = SHARED_BYTES) -> None:
        mine, theirs = socket.socketpair()
        fds = [theirs.fileno()]
        # Bodies go through memory both processes map (one copy), not the socket (four: pickle, buffer,
        # kernel in, kernel out); where memfd_create is missing (not Linux), through the socket.
        self.shared: mmap.mmap | None = None
        self.ring = ByteRing(shared_bytes)
        argv = [str(theirs.fileno())]
        if hasattr(os, "memfd_create") and shared_bytes > 0:
            memfd = os.memfd_create("storewatch-pages")
            os.ftruncate(memfd, shared_bytes)
            self.shared = mmap.mmap(memfd, shared_bytes)
            fds.append(memfd)
            argv += [str(memfd), str(shared_bytes)]
        self.proc = subprocess.Popen([sys.executable, "-m", "crawler.parse_pool", *argv],
                                     pass_fds=fds, stdin=subprocess.DEVNULL)
        for fd in fds[1:]:
            os.close(fd)  # the map keeps the memory
        theirs.close()
        self.sock: socket.socket | None = mine
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[tuple[asyncio.Future[Any], bool]] = deque()  # and: holds a shared range
        self.buffer = bytearray()
        self.gone = False
        self.closing = False
        self._connected: asyncio.Future[Any] | None = None

    async def connect(self) -> None:
        """The transport, made by the first job (the reactor's loop runs by then)."""
        if self._connected is None:
            assert self.sock is not None
            sock, self.sock = self.sock, None
            self._connected = asyncio.ensure_future(
                asyncio.get_running_loop().create_connection(lambda: self, sock=sock))
        await self._connected

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> asyncio.Future[Any]:
        assert self.transport is not None
        shared = False
        if self.shared is not None and args and isinstance(args[0], bytes) and len(args[0]) >= SHARED_FROM:
            start = self.ring.take(len(args[0]))
            if start is not None:  # else the buffer is full: this one goes in the message
                end = start + len(args[0])
                self.shared[start:end] = args[0]
                args, shared = (_Shared(start, end), *args[1:]), True
        payload = pickle.dumps((fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((future, shared))
        self.transport.write(_HEADER.pack(len(payload)) + payload)
        return future

    # -- asyncio.Protocol ------------------------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self.buffer)
            end = _HEADER.size + size
            if len(self.buffer) < end:
                return
            ok, value = pickle.loads(self.buffer[_HEADER.size:end])
            del self.buffer[:end]
            future, shared = self.waiting.popleft()
            if shared:
                self.ring.release_oldest()
            if not future.done():
                future.set_result(value) if ok else future.set_exception(value)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone = True
        if not self.closing:
            log.warning("parser process %s ended (%s): its pages are parsed in the crawl's own process",
                        self.proc.pid, exc or "end of file")
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(WorkerGone(f"parser process ended ({exc or 'end of file'})"))

    def close(self) -> None:
        """End the worker: end-of-file on its socket now (a transport would close it only on the loop's
        next turn, while we wait here), then wait for it to exit."""
        self.closing = True
        sock = self.transport.get_extra_info("socket") if self.transport is not None else self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the worker is gone already
        if self.transport is not None:
            self.transport.close()
        elif self.sock is not None:
            self.sock.close()
        try:
            self.proc.wait(timeout=10)  # the worker exits at end-of-file
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ParsePool:
    def __init__(self, processes: int, shared_bytes: int = SHARED_BYTES) -> None:
        self.processes = processes
        self.shared_bytes = shared_bytes
        self.workers: list[_Worker] = []

    @classmethod
    def from_crawler(cls, crawler: Any) -> ParsePool:
        # Scrapy is imported here, not at the top: a worker runs this module and needs none of it (importing
        # it cost ~0.2 s per worker, and the crawl's first pages wait for the workers to start).
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        processes = crawler.settings.getint("STOREWATCH_PARSE_PROCESSES", 0)
        if processes <= 0:
            raise NotConfigured("pages are parsed in the reactor's thread")
        pool = cls(processes)
        setattr(crawler, ATTRIBUTE, pool)
        # Started now, while the crawl builds its components and opens the database, not at spider_opened:
        # a worker takes ~0.15 s to import the parsers, and the first pages would wait for it.
        pool.open()
        crawler.signals.connect(pool.close, signal=signals.spider_closed)
        crawler.signals.connect(pool.close, signal=signals.engine_stopped)  # a crawl that never opened
        return pool

    def open(self, spider: Any = None) -> None:
        """Start the workers: they import the parsers while the crawl starts."""
        if not self.workers:
            self.workers = [_Worker(self.shared_bytes) for _ in range(self.processes)]

    def close(self, spider: Any = None) -> None:
        for worker in self.workers:
            worker.close()
        self.workers = []

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        live = [w for w in self.workers if not w.gone]
        if not live:  # not opened, closed, or every worker died: parse here
            return fn(*args, **kwargs)
        worker = min(live, key=lambda w: len(w.waiting))
        try:
            await worker.connect()
            result: T = await worker.call(fn, args, kwargs)
        except (WorkerGone, OSError):  # logged by the worker's connection_lost
            worker.gone = True
            return fn(*args, **kwargs)
        return result


async def parse(crawler: Any, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)`, a pure parser: in the crawl's parser processes when it has them."""
    pool: ParsePool | None = getattr(crawler, ATTRIBUTE, None)
    if pool is None:
        return fn(*args, **kwargs)
    return await pool.run(fn, *args, **kwargs)


# -- the worker process ---------------------------------------------------------------------------------
def _record_values(names: tuple[str, ...], record: Any) -> tuple[type, tuple[Any, ...]]:
    return type(record), tuple(getattr(record, name) for name in names)


def pickle_records_by_value() -> None:
    """Records pickle as `cls(*values)`. The default for slotted dataclasses calls dataclasses.fields()
    for every object read back: measured, most of the reactor's cost of reading a parsed search page."""
    import copyreg
    import dataclasses
    import functools

    from crawler import records

    for cls in vars(records).values():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls):
            names = tuple(f.name for f in dataclasses.fields(cls))  # all are __init__ arguments, in order
            copyreg.pickle(cls, functools.partial(_record_values, names))


def serve(fd: int, shared_fd: int | None = None, shared_bytes: int = 0) -> None:
    """Answer jobs from the socket `fd` until end-of-file: each answer is (True, result) or (False, error).
    A first argument that waits in shared memory (`shared_fd`) is read from there."""
    import importlib

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the crawl ends us itself
    for name in PARSER_MODULES:
        importlib.import_module(name)
    pickle_records_by_value()
    shared = mmap.mmap(shared_fd, shared_bytes) if shared_fd is not None else None
    sock = socket.socket(fileno=fd)
    reader, writer = sock.makefile("rb"), sock.makefile("wb")
    while True:
        header = reader.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (size,) = _HEADER.unpack(header)
        fn, args, kwargs = pickle.loads(reader.read(size))
        if args and isinstance(args[0], _Shared):
            assert shared is not None
            args = (shared[args[0].start:args[0].end], *args[1:])
        try:
            answer = pickle.dumps((True, fn(*args, **kwargs)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - the crawl's callback raises it, as an inline parse would
            try:
                answer = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an error that cannot be pickled goes as its text
                answer = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        writer.write(_HEADER.pack(len(answer)))
        writer.write(answer)
        writer.flush()


if __name__ == "__main__":
    from crawler.parse_pool import serve as serve_imported  # the classes jobs name are that module's

    serve_imported(*map(int, sys.argv[1:]))

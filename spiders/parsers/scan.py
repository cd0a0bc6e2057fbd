"""Finding a literal in a whole page: the C library's memmem where there is one, else `bytes.find`.

The parsers look for a few markers in the raw bytes before any tree is built (`validateCaptcha` in every
page's head, `parentAsin`, `colorImages`, `"dimensionToAsinMap"` in a product page), and most are absent
or far in, so each is a scan of up to the whole page. CPython's `bytes.find` runs at ~3 GB/s on such
10-20 byte needles, glibc's memmem at ~10 GB/s: on a real product page the scans were a fifth of the
parse. The answer is `bytes.find`'s, position for position; str documents and short spans (where the
foreign call costs more than it saves) go to `find` itself.
"""
from __future__ import annotations

import ctypes
from typing import Any

_SHORT = 4096  # spans below this are searched by bytes.find


def _memmem() -> Any:
    try:
        fn = ctypes.CDLL(None).memmem  # the C library the interpreter runs on
    except (AttributeError, OSError, TypeError):  # no memmem (Windows' C runtime has none)
        return None
    fn.restype = ctypes.c_void_p
    fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
    return fn


_MEMMEM = _memmem()


def find(doc: Any, needle: Any, start: int = 0, end: int | None = None) -> int:
    """`doc.find(needle, start, end)` for a str or bytes `doc` (`needle` of the same type)."""
    size = len(doc)
    stop = size if end is None else end
    if _MEMMEM is None or type(doc) is not bytes or start < 0 or stop < 0 or min(stop, size) - start < _SHORT:
        return doc.find(needle, start, stop)
    stop = min(stop, size)
    base = ctypes.cast(ctypes.c_char_p(doc), ctypes.c_void_p).value  # the bytes' own buffer, not a copy
    assert base is not None
    hit = _MEMMEM(base + start, stop - start, needle, len(needle))
    return -1 if hit is None else hit - base

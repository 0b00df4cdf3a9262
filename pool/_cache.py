"""The one bounded cache pool keeps results in between requests.

Where the same input comes back request after request (a request target, a
URL, a retry count, a pool key, a request head) and working the result out
costs measurably more than a lookup, pool keeps it here.  One rule for all
of them: at most ``maxsize`` entries; a new entry that would go beyond that
empties the cache first, and it fills again with what is still in use.  A hit
is one dict lookup with no bookkeeping, and a flood of unique keys (a hostile
server's redirects) costs at most ``maxsize`` entries, never the cache's use
for the keys that come after it.  Callers bound the size of what they put
in (long URLs are not cached).

Thread safety: every method is one dict operation (``get``, ``clear``,
item assignment), which is atomic under the GIL and locked per dict in a
free-threaded CPython.  Two threads missing the same key store equal
values; a clear that races a put loses at most that entry.
"""

from __future__ import annotations

import typing

K = typing.TypeVar("K")
V = typing.TypeVar("V")


class BoundedCache(typing.Generic[K, V]):
    """A dict of at most *maxsize* entries, emptied when full (see the
    module docstring).  ``get(key)`` is the dict's own method: None on a
    miss."""

    __slots__ = ("_data", "maxsize", "get")

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self._data: dict[K, V] = {}
        self.maxsize = maxsize
        self.get: typing.Callable[[K], V | None] = self._data.get

    def put(self, key: K, value: V) -> V:
        """Store *value* under *key* (emptying the cache first if it is
        full) and return it."""
        data = self._data
        if len(data) >= self.maxsize and key not in data:
            data.clear()
        data[key] = value
        return value

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self._data)}/{self.maxsize})"

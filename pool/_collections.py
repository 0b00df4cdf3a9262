"""Containers: the case-insensitive, multi-valued header dict and the LRU map
that holds a PoolManager's pools.

Header field names are case-insensitive and a field may occur several times
(RFC 9110 §5.1-5.3); a recipient may combine repeated fields into one value
joined with ", " (§5.3), except Set-Cookie, which is why every value is also
kept apart (:meth:`HTTPHeaderDict.getlist`).
"""

from __future__ import annotations

import typing
from collections import OrderedDict
from enum import Enum
from threading import RLock

if typing.TYPE_CHECKING:  # pragma: no cover
    from typing import Protocol

    from typing_extensions import Self

    class HasGettableStringKeys(Protocol):
        def keys(self) -> typing.Iterator[str]: ...

        def __getitem__(self, key: str) -> str: ...


__all__ = ["RecentlyUsedContainer", "HTTPHeaderDict"]

_KT = typing.TypeVar("_KT")
_VT = typing.TypeVar("_VT")
_DT = typing.TypeVar("_DT")

ValidHTTPHeaderSource = typing.Union[
    "HTTPHeaderDict",
    typing.Mapping[str, str],
    typing.Iterable[typing.Tuple[str, str]],
    "HasGettableStringKeys",
]


class _Sentinel(Enum):
    not_passed = 0


def ensure_can_construct_http_header_dict(potential: object) -> ValidHTTPHeaderSource | None:
    """Return ``potential`` if an :class:`HTTPHeaderDict` can be built from it, else None.

    Mappings and iterables are taken on trust (checking every element would
    cost as much as building the dict).
    """
    if isinstance(potential, (HTTPHeaderDict, typing.Mapping, typing.Iterable)):
        return potential
    if hasattr(potential, "keys") and hasattr(potential, "__getitem__"):
        return potential
    return None


class RecentlyUsedContainer(typing.Generic[_KT, _VT], typing.MutableMapping[_KT, _VT]):
    """A thread-safe mapping that keeps at most ``maxsize`` keys, evicting the
    least recently used one beyond that.

    :param maxsize: Maximum number of entries to keep.
    :param dispose_func: Called as ``dispose_func(value)`` for every value that
        leaves the container (evicted, deleted or cleared), outside the lock,
        so that it may block (closing a pool does).
    """

    _container: typing.OrderedDict[_KT, _VT]
    _maxsize: int
    dispose_func: typing.Callable[[_VT], None] | None
    lock: RLock
    # For PoolManager._pool_for, kept under the lock.  ``_changes`` is bumped
    # by every change to which value a key holds (set, delete, evict,
    # clear), not by a lookup's reordering: while it stays the same, a key
    # seen earlier still holds the same value.  ``_mru`` is the key (the
    # object the caller passed) last moved to or inserted at the end, None
    # when that is not known: a key that is ``_mru`` is the most recent.
    _changes: int
    _mru: typing.Any

    def __init__(self, maxsize: int = 10, dispose_func: typing.Callable[[_VT], None] | None = None) -> None:
        super().__init__()
        self._maxsize = maxsize
        self.dispose_func = dispose_func
        self._container = OrderedDict()
        self.lock = RLock()
        self._changes = 0
        self._mru = None

    def __getitem__(self, key: _KT) -> _VT:
        with self.lock:
            value = self._container[key]
            self._container.move_to_end(key)
            self._mru = key
            return value

    def __setitem__(self, key: _KT, value: _VT) -> None:
        evicted: list[_VT] = []
        with self.lock:
            self._changes += 1
            old = self._container.pop(key, _Sentinel.not_passed)
            self._container[key] = value
            self._mru = key
            if old is not _Sentinel.not_passed:
                # Replacing a key disposes of the value it held, as urllib3 does.
                evicted.append(old)
            elif len(self._container) > self._maxsize:
                # Insert first, then trim: correct even for maxsize 0.
                evicted.append(self._container.popitem(last=False)[1])
                if not self._container:  # maxsize 0: the new key itself went
                    self._mru = None
        if evicted and self.dispose_func:
            self.dispose_func(evicted[0])

    def __delitem__(self, key: _KT) -> None:
        with self.lock:
            value = self._container.pop(key)
            self._changes += 1
            self._mru = None
        if self.dispose_func:
            self.dispose_func(value)

    def __len__(self) -> int:
        with self.lock:
            return len(self._container)

    def __iter__(self) -> typing.NoReturn:
        raise NotImplementedError("Iteration over this class is unlikely to be threadsafe.")

    def clear(self) -> None:
        """Remove every entry, disposing of each value."""
        with self.lock:
            values = list(self._container.values())
            self._container.clear()
            self._changes += 1
            self._mru = None
        if self.dispose_func:
            for value in values:
                self.dispose_func(value)

    def keys(self) -> set[_KT]:  # type: ignore[override]
        """A snapshot of the keys, as a set."""
        with self.lock:
            return set(self._container.keys())


class HTTPHeaderDictItemView(set):  # type: ignore[type-arg]
    """The items of an :class:`HTTPHeaderDict`: one ``(name, value)`` pair per
    field line, duplicates included, in order of first insertion of each name.

    ``headers["X"]`` joins repeated values; iterating ``items()`` does not.
    """

    # A set subclass, as urllib3's is, so isinstance(d.items(), set) holds.
    def __init__(self, headers: HTTPHeaderDict) -> None:
        super().__init__()
        self._headers = headers

    def __len__(self) -> int:
        return sum(len(vals) - 1 for vals in self._headers._container.values())

    def __iter__(self) -> typing.Iterator[tuple[str, str]]:
        return self._headers.iteritems()

    def __contains__(self, item: object) -> bool:
        if isinstance(item, tuple) and len(item) == 2:
            name, value = item
            if isinstance(name, str) and isinstance(value, str):
                return self._headers._has_value_for_header(name, value)
        return False


class HTTPHeaderDict(typing.MutableMapping[str, str]):
    """A ``dict``-like container of HTTP header fields.

    Names compare case-insensitively; iteration yields each name with the case
    it was first seen in.  ``d[name] = v`` replaces every value of a name;
    :meth:`add` appends one.  ``d[name]`` joins all values with ``", "``,
    :meth:`getlist` returns them apart.

    :param headers: A mapping or an iterable of ``(name, value)`` pairs; repeated
        names are appended, not replaced.
    :param kwargs: More fields, added after ``headers``.

    >>> h = HTTPHeaderDict()
    >>> h.add("Set-Cookie", "a=1")
    >>> h.add("set-cookie", "b=2")
    >>> h["SET-COOKIE"]
    'a=1, b=2'
    """

    # lower-cased name -> [name as first seen, value, value, ...]
    _container: dict[str, list[str]]

    def __init__(self, headers: ValidHTTPHeaderSource | None = None, **kwargs: str) -> None:
        super().__init__()
        self._container = {}
        if headers is not None:
            if isinstance(headers, HTTPHeaderDict):
                self._copy_from(headers)
            elif type(headers) is dict:
                # The common case (request_encode_body wraps every caller's
                # dict): extend()'s add() inlined.
                container = self._container
                for key, val in headers.items():
                    if isinstance(key, bytes):
                        key = key.decode("latin-1")
                    vals = container.get(key.lower())
                    if vals is None:
                        container[key.lower()] = [key, val]
                    else:
                        vals.append(val)
            else:
                self.extend(headers)
        if kwargs:
            self.extend(kwargs)

    @classmethod
    def _from_wire(cls, fields: typing.Iterable[tuple[str, str]]) -> Self:
        """Build a dict from the wire layer's list of ``(name, value)`` str pairs.

        Runs once per response, so it skips ``__init__`` and the bytes checks
        of :meth:`add`: the wire layer only produces str.
        """
        self = cls.__new__(cls)
        container: dict[str, list[str]] = {}
        get = container.get
        for name, value in fields:
            low = name.lower()
            vals = get(low)
            if vals is None:
                container[low] = [name, value]
            else:
                vals.append(value)
        self._container = container
        return self

    def __setitem__(self, key: str, val: str) -> None:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        self._container[key.lower()] = [key, val]

    def __getitem__(self, key: str) -> str:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        vals = self._container[key.lower()]
        if len(vals) == 2:
            return vals[1]
        return ", ".join(vals[1:])

    def __delitem__(self, key: str) -> None:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        del self._container[key.lower()]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if isinstance(key, str):
            return key.lower() in self._container
        return False

    @typing.overload
    def get(self, key: str) -> str | None: ...

    @typing.overload
    def get(self, key: str, default: str) -> str: ...

    @typing.overload
    def get(self, key: str, default: _DT) -> str | _DT: ...

    def get(self, key: str, default: object = None) -> object:
        """``self[key]`` if present, else ``default``."""
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        try:
            vals = self._container[key.lower()]
        except (KeyError, AttributeError):
            return default
        if len(vals) == 2:
            return vals[1]
        return ", ".join(vals[1:])

    def setdefault(self, key: str, default: str = "") -> str:
        """``self[key]``, after setting it to ``default`` if it was absent."""
        return super().setdefault(key, default)

    def __eq__(self, other: object) -> bool:
        source = ensure_can_construct_http_header_dict(other)
        if source is None:
            return False
        other_dict = source if isinstance(source, HTTPHeaderDict) else type(self)(source)
        return {k.lower(): v for k, v in self.itermerged()} == {k.lower(): v for k, v in other_dict.itermerged()}

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self._container)

    def __iter__(self) -> typing.Iterator[str]:
        for vals in self._container.values():
            yield vals[0]

    def discard(self, key: str) -> None:
        """Remove ``key`` if present; no error if it isn't."""
        try:
            del self[key]
        except KeyError:
            pass

    def add(self, key: str, val: str, *, combine: bool = False) -> None:
        """Add a value for ``key`` without removing the ones already there.

        With ``combine=True`` the value is appended to the last existing value
        with ``", "`` instead of becoming a separate item in :meth:`items`
        (a name not yet present is simply added).
        """
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        new = [key, val]
        vals = self._container.setdefault(key.lower(), new)
        if vals is not new:
            if combine:
                vals[-1] = vals[-1] + ", " + val
            else:
                vals.append(val)

    def extend(self, *args: ValidHTTPHeaderSource, **kwargs: str) -> None:
        """Add every field of a mapping, an iterable of pairs, or an object with
        ``keys()`` and ``__getitem__``, then the keyword arguments, with :meth:`add`."""
        if len(args) > 1:
            raise TypeError(f"extend() takes at most 1 positional arguments ({len(args)} given)")
        other = args[0] if args else ()
        if isinstance(other, HTTPHeaderDict):
            for key, val in other.iteritems():
                self.add(key, val)
        elif isinstance(other, typing.Mapping):
            for key, val in other.items():
                self.add(key, val)
        elif isinstance(other, typing.Iterable):
            for key, val in other:
                self.add(key, val)
        elif hasattr(other, "keys") and hasattr(other, "__getitem__"):
            for key in other.keys():
                self.add(key, other[key])
        for key, val in kwargs.items():
            self.add(key, val)

    @typing.overload
    def getlist(self, key: str) -> list[str]: ...

    @typing.overload
    def getlist(self, key: str, default: _DT) -> list[str] | _DT: ...

    def getlist(self, key: str, default: typing.Any = _Sentinel.not_passed) -> typing.Any:
        """Every value of ``key``, in order; ``[]`` (or ``default`` if given) when absent."""
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        try:
            vals = self._container[key.lower()]
        except KeyError:
            return [] if default is _Sentinel.not_passed else default
        return vals[1:]

    # Names http.client's HTTPMessage and http.cookiejar call.
    getheaders = getlist
    getallmatchingheaders = getlist
    iget = getlist
    get_all = getlist

    def _prepare_for_method_change(self) -> Self:
        """Drop the fields that describe a request body before a redirect turns
        the method into GET (RFC 9110 §15.4), Transfer-Encoding included: it
        would frame a body that is no longer sent."""
        for name in (
            "Content-Encoding",
            "Content-Language",
            "Content-Location",
            "Content-Type",
            "Content-Length",
            "Digest",
            "Last-Modified",
            "Transfer-Encoding",
        ):
            self.discard(name)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.itermerged())})"

    def _copy_from(self, other: HTTPHeaderDict) -> None:
        container = self._container
        for low, vals in other._container.items():
            container[low] = list(vals)

    def copy(self) -> Self:
        """A copy whose value lists are independent of this dict's."""
        clone = type(self)()
        clone._copy_from(self)
        return clone

    def iteritems(self) -> typing.Iterator[tuple[str, str]]:
        """Every ``(name, value)`` pair, one per value."""
        for vals in list(self._container.values()):
            name = vals[0]
            for val in vals[1:]:
                yield name, val

    def itermerged(self) -> typing.Iterator[tuple[str, str]]:
        """One ``(name, joined values)`` pair per name."""
        for vals in list(self._container.values()):
            yield vals[0], ", ".join(vals[1:])

    def items(self) -> HTTPHeaderDictItemView:  # type: ignore[override]
        """A set-like view of every ``(name, value)`` pair, duplicates included."""
        return HTTPHeaderDictItemView(self)

    def _has_value_for_header(self, header_name: str, potential_value: str) -> bool:
        vals = self._container.get(header_name.lower())
        return vals is not None and potential_value in vals[1:]

    def __ior__(self, other: object) -> HTTPHeaderDict:
        source = ensure_can_construct_http_header_dict(other)
        if source is None:
            return NotImplemented
        self.extend(source)
        return self

    def __or__(self, other: object) -> Self:
        source = ensure_can_construct_http_header_dict(other)
        if source is None:
            return NotImplemented
        result = self.copy()
        result.extend(source)
        return result

    def __ror__(self, other: object) -> Self:
        source = ensure_can_construct_http_header_dict(other)
        if source is None:
            return NotImplemented
        result = type(self)(source)
        result.extend(self)
        return result

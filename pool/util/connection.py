"""Opening TCP connections, and telling whether an idle one was dropped.

:func:`create_connection` is :func:`socket.create_connection` plus socket
options applied before connecting, and it skips IPv6 addresses on hosts that
cannot use IPv6 (a resolver may return AAAA records anyway).

Two opt-in additions, both off unless asked for: a ``resolver`` callable that
replaces ``getaddrinfo`` (with :class:`DNSCache` to cache one, and a
curl-style static map built on it), and Happy Eyeballs (RFC 8305): connection
attempts to several addresses raced on non-blocking sockets.
"""

from __future__ import annotations

import collections
import errno
import ipaddress
import os
import selectors
import socket
import threading
import time
import typing

from ..exceptions import LocationParseError
from .timeout import _DEFAULT_TIMEOUT, _TYPE_TIMEOUT
from .wait import wait_for_read

__all__ = ["HAS_IPV6", "DNSCache", "allowed_gai_family", "create_connection", "is_connection_dropped"]

_TYPE_SOCKET_OPTIONS = typing.List[typing.Tuple[int, int, typing.Union[int, bytes]]]
#: One ``getaddrinfo`` result: (family, type, proto, canonname, sockaddr).
_TYPE_ADDRINFO = typing.Tuple[int, int, int, str, typing.Any]
#: ``resolver(host, port, family)``: IP address strings, or ``getaddrinfo``
#: 5-tuples (which may carry their own port).
_TYPE_RESOLVER = typing.Callable[[str, int, int], typing.Iterable[typing.Union[str, _TYPE_ADDRINFO]]]

# When this thread's last name resolution in create_connection ended
# (time.perf_counter_ns): the connection reads it for its timings.  Kept
# beside the call because create_connection's signature is urllib3's.
_resolved = threading.local()

#: RFC 8305 §5's recommended "Connection Attempt Delay".
HAPPY_EYEBALLS_DELAY = 0.25


def is_connection_dropped(conn: typing.Any) -> bool:
    """Whether an idle connection should be closed rather than reused.

    *conn* is a connection with a ``sock`` attribute, or a socket.  An idle
    HTTP/1.1 connection has nothing to read, so a readable socket (the
    server's FIN, a reset, or stray bytes that would corrupt the next
    response) means it is unusable; the check waits zero seconds.  No socket,
    or a closed one, counts as dropped.
    """
    sock = conn if isinstance(conn, socket.socket) else getattr(conn, "sock", None)
    if sock is None:
        return True
    try:
        return wait_for_read(sock, timeout=0.0)
    except (OSError, ValueError):
        # ValueError: the socket was closed (fileno() is -1).
        return True


def create_connection(
    address: tuple[str, int],
    timeout: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
    source_address: tuple[str, int] | None = None,
    socket_options: _TYPE_SOCKET_OPTIONS | None = None,
    *,
    resolver: _TYPE_RESOLVER | None = None,
    happy_eyeballs: bool | float | None = None,
) -> socket.socket:
    """Connect to *address* ``(host, port)`` and return the socket.

    Every address the resolver returns is tried in order; the last error is
    raised if none connects.  With ``happy_eyeballs`` the attempts are raced
    instead (RFC 8305): the families interleaved, the next attempt started
    after a delay or as soon as one fails, the first connected socket kept
    and the others closed, and ``timeout`` bounding the whole race.

    :param timeout: set on the socket before connecting (and kept for later
        operations); the default sentinel leaves the global default.
    :param source_address: ``(host, port)`` to bind before connecting; ``""``
        or 0 let the OS choose.
    :param socket_options: ``(level, option, value)`` triples applied with
        ``setsockopt`` before connecting.
    :param resolver: ``resolver(host, port, family)`` used instead of
        ``getaddrinfo`` for host names (an IP literal is used as it is); it
        returns IP address strings or ``getaddrinfo`` 5-tuples.  Whatever it
        raises becomes :class:`socket.gaierror`, as a DNS failure would.
    :param happy_eyeballs: ``True`` (a 250 ms delay between attempts) or the
        delay in seconds; ``None`` or ``False``: one address after another.
    :raises LocationParseError: if *host* cannot be IDNA-encoded (an empty or
        over-long label).
    :raises OSError: the connection error (refused, unreachable, timeout...).
    """
    host, port = address
    if host.startswith("["):
        host = host.strip("[]")
    try:
        host.encode("idna")
    except UnicodeError:
        raise LocationParseError(f"'{host}', label empty or too long") from None

    gai_family = allowed_gai_family()
    infos: typing.Sequence[_TYPE_ADDRINFO]
    if resolver is None or _is_ip_literal(host):
        infos = socket.getaddrinfo(host, port, gai_family, socket.SOCK_STREAM)
    else:
        infos = _call_resolver(resolver, host, port, gai_family)
    # For the request's timings (pool.util.timings): when resolution ended.
    _resolved.ns = time.perf_counter_ns()
    delay = _happy_eyeballs_delay(happy_eyeballs)
    if delay is not None and infos:
        return _race(infos, delay, timeout, source_address, socket_options)

    err: OSError | None = None
    for family, socktype, proto, _canonname, sockaddr in infos:
        sock = None
        try:
            sock = socket.socket(family, socktype, proto)
            _set_socket_options(sock, socket_options)
            if timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            err = e
            if sock is not None:
                sock.close()

    if err is not None:
        try:
            raise err
        finally:
            # The traceback references this frame, which references err.
            err = None
    raise OSError("getaddrinfo returns an empty list")


def _set_socket_options(sock: socket.socket, options: _TYPE_SOCKET_OPTIONS | None) -> None:
    if options is None:
        return
    for opt in options:
        sock.setsockopt(*opt)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _addrinfo(item: typing.Any, port: int) -> list[_TYPE_ADDRINFO]:
    # An address string becomes getaddrinfo's answer for that literal
    # (AI_NUMERICHOST: never a DNS query), which also fills in an IPv6
    # address's flow info and scope id.
    if isinstance(item, str):
        return list(socket.getaddrinfo(item.strip("[]"), port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST))
    if isinstance(item, tuple) and len(item) == 5:
        return [typing.cast(_TYPE_ADDRINFO, item)]
    raise TypeError(f"a resolver returns address strings or getaddrinfo 5-tuples, not {item!r}")


def _call_resolver(resolver: _TYPE_RESOLVER, host: str, port: int, family: int) -> list[_TYPE_ADDRINFO]:
    # Whatever the resolver raises is a failure to resolve the name, as
    # getaddrinfo's gaierror is: the connection turns it into
    # NameResolutionError, and Retry counts it as a connect error.
    try:
        infos: list[_TYPE_ADDRINFO] = []
        for item in resolver(host, port, family):
            infos.extend(_addrinfo(item, port))
    except socket.gaierror:
        raise
    except Exception as e:
        raise socket.gaierror(socket.EAI_FAIL, f"resolver failed for {host!r}: {e!r}") from e
    if not infos:
        raise socket.gaierror(socket.EAI_NONAME, f"resolver returned no address for {host!r}")
    return infos


def _happy_eyeballs_delay(value: bool | float | None) -> float | None:
    """The delay between attempts that ``happy_eyeballs=value`` asks for,
    or None for sequential attempts."""
    if value is None or value is False:
        return None
    if value is True:
        return HAPPY_EYEBALLS_DELAY
    if isinstance(value, (int, float)) and value >= 0:
        return float(value)
    raise ValueError(f"happy_eyeballs must be a bool or a delay in seconds >= 0, not {value!r}")


def _interleave(infos: typing.Sequence[_TYPE_ADDRINFO]) -> list[_TYPE_ADDRINFO]:
    # RFC 8305 §4: alternate the families, starting with the resolver's
    # first choice, each family keeping its own order.
    by_family: dict[int, collections.deque[_TYPE_ADDRINFO]] = {}
    for info in infos:
        by_family.setdefault(info[0], collections.deque()).append(info)
    queues = list(by_family.values())
    out: list[_TYPE_ADDRINFO] = []
    while queues:
        for q in queues:
            out.append(q.popleft())
        queues = [q for q in queues if q]
    return out


# connect_ex answers for "under way" on a non-blocking socket.
_IN_PROGRESS = frozenset(
    code
    for code in (
        errno.EINPROGRESS,
        errno.EWOULDBLOCK,
        errno.EAGAIN,
        getattr(errno, "WSAEWOULDBLOCK", None),
    )
    if code is not None
)


def _race(
    infos: typing.Sequence[_TYPE_ADDRINFO],
    delay: float,
    timeout: _TYPE_TIMEOUT,
    source_address: tuple[str, int] | None,
    socket_options: _TYPE_SOCKET_OPTIONS | None,
) -> socket.socket:
    """Happy Eyeballs (RFC 8305 §5) without threads: non-blocking connects
    watched by one selector.  The first socket to connect wins and gets the
    timeout a sequential connect would have left on it; every other socket
    is closed before returning or raising."""
    if timeout is _DEFAULT_TIMEOUT:
        timeout = socket.getdefaulttimeout()
    budget: float | None = timeout
    todo = collections.deque(_interleave(infos))
    now = time.monotonic()
    deadline = None if budget is None else now + budget
    next_start = now
    pending: dict[socket.socket, None] = {}
    err: OSError | None = None
    winner: socket.socket | None = None
    selector = selectors.PollSelector() if hasattr(selectors, "PollSelector") else selectors.SelectSelector()
    try:
        # Each turn starts an attempt, ends one, or reaches the deadline,
        # so 2n + 2 turns cover any race; the bound only guards a selector
        # that wakes up early.
        for _ in range(4 * len(todo) + 16):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            if todo and (now >= next_start or not pending):
                family, socktype, proto, _canonname, sockaddr = todo.popleft()
                sock = None
                try:
                    sock = socket.socket(family, socktype, proto)
                    _set_socket_options(sock, socket_options)
                    if source_address:
                        sock.bind(source_address)
                    sock.setblocking(False)
                    code = sock.connect_ex(sockaddr)
                except OSError as e:
                    code, err = -1, e
                except BaseException:
                    if sock is not None:
                        sock.close()
                    raise
                if code == 0:
                    winner = sock
                    break
                if code in _IN_PROGRESS and sock is not None:
                    selector.register(sock, selectors.EVENT_WRITE)
                    pending[sock] = None
                    next_start = now + delay
                else:
                    if code > 0:
                        err = OSError(code, os.strerror(code))
                    if sock is not None:
                        sock.close()
                    next_start = now  # a failure starts the next one at once
                continue
            if not pending:
                break  # every address failed
            wait = None if deadline is None else deadline - now
            if todo:
                wait = next_start - now if wait is None else min(wait, next_start - now)
            for key, _events in selector.select(wait):
                sock = typing.cast(socket.socket, key.fileobj)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code == 0:
                    winner = sock
                    break
                err = OSError(code, os.strerror(code))
                selector.unregister(sock)
                del pending[sock]
                sock.close()
                next_start = time.monotonic()
            if winner is not None:
                break
    finally:
        selector.close()
        for sock in pending:
            if sock is not winner:
                sock.close()
    if winner is not None:
        winner.settimeout(budget)
        return winner
    if pending or err is None:
        raise TimeoutError("timed out")
    try:
        raise err
    finally:
        err = None


class DNSCache:
    """A resolver that remembers another resolver's answers, for
    ``resolver=``: at most ``maxsize`` names (the least recently used go
    first), each for at most ``ttl`` seconds.  Failures are not cached.

    :param resolver: the resolver to ask on a miss (default:
        ``getaddrinfo``), called as ``resolver(host, port, family)``.
    :param maxsize: how many ``(host, port, family)`` answers to keep.
    :param ttl: seconds an answer is used for.  A resolver that knows each
        record's TTL should cache by itself instead: this one cannot see it.

    One instance may be shared by several pools and threads.
    """

    def __init__(self, resolver: _TYPE_RESOLVER | None = None, maxsize: int = 256, ttl: float = 60.0) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, not {maxsize!r}")
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, not {ttl!r}")
        self.resolver = resolver
        self.maxsize = maxsize
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: collections.OrderedDict[tuple[str, int, int], tuple[float, list[_TYPE_ADDRINFO]]] = (
            collections.OrderedDict()
        )

    def __call__(self, host: str, port: int, family: int) -> list[_TYPE_ADDRINFO]:
        """The addresses of *host*, from the cache while they are fresh."""
        key = (host.lower(), port, family)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry[0] > now:
                    self._entries.move_to_end(key)
                    return list(entry[1])
                del self._entries[key]
        # Resolved outside the lock: a slow lookup must not hold up others.
        infos: list[_TYPE_ADDRINFO]
        if self.resolver is None:
            infos = list(socket.getaddrinfo(host, port, family, socket.SOCK_STREAM))
        else:
            infos = _call_resolver(self.resolver, host, port, family)
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl, list(infos))
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return list(infos)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()


class _StaticResolver:
    """``resolve=``: a curl-style map from ``"host:port"`` (or ``"host"``,
    any port) to an address or a list of them, consulted before
    ``resolver`` (or ``getaddrinfo``)."""

    __slots__ = ("_map", "resolver")

    def __init__(self, mapping: typing.Mapping[str, typing.Any], resolver: _TYPE_RESOLVER | None) -> None:
        self._map: dict[str, list[str]] = {}
        for key, value in mapping.items():
            addrs = value.split(",") if isinstance(value, str) else list(value)
            if not addrs or not all(isinstance(a, str) and a.strip() for a in addrs):
                raise ValueError(f"resolve[{key!r}] must be an address or a list of addresses, not {value!r}")
            self._map[_map_key(key)] = [a.strip() for a in addrs]
        self.resolver = resolver

    def __call__(self, host: str, port: int, family: int) -> typing.Iterable[typing.Any]:
        name = host.rstrip(".").lower()
        if ":" in name:
            name = f"[{name}]"
        addrs = self._map.get(f"{name}:{port}") or self._map.get(name)
        if addrs is not None:
            return addrs
        if self.resolver is not None:
            return self.resolver(host, port, family)
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)


def _map_key(key: str) -> str:
    # "Host.Example.:443" and "host.example:443" are one entry; a bare IPv6
    # host goes in brackets so its colons are not read as a port.
    host, sep, port = key.rpartition(":")
    if not sep or "]" in port or (host.count(":") and not host.startswith("[")):
        host, port = key, ""
    host = host.rstrip(".").lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}" if port else host


def allowed_gai_family() -> socket.AddressFamily:
    """The address family to resolve with: AF_UNSPEC (IPv4 and IPv6) when
    this host can use IPv6, else AF_INET."""
    return socket.AF_UNSPEC if HAS_IPV6 else socket.AF_INET


def _has_ipv6(host: str) -> bool:
    """Whether a socket can bind an IPv6 address here.  ``socket.has_ipv6``
    only says Python was built with IPv6; the kernel may still lack it."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind((host, 0))
    except Exception:
        return False
    return True


#: Whether this host can use IPv6 (checked once, at import).
HAS_IPV6 = _has_ipv6("::1")

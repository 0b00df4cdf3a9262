"""Connection pools: a LIFO stack of idle keep-alive connections to one origin,
and :meth:`HTTPConnectionPool.urlopen`, the retry and redirect loop around one
request.

Persistence follows RFC 9112 §9.3: a connection is reused only after its
previous response was read to its framed end and neither side asked to close
it (the wire Reader's ``reusable``). Automatic retry of a request that met a
connection the server had just closed follows RFC 9112 §9.3.1: only
idempotent methods (RFC 9110 §9.2.2) are re-sent without asking.
"""

from __future__ import annotations

import errno
import functools
import logging
import queue
import sys
import threading
import time
import typing
import warnings
import weakref
from socket import timeout as SocketTimeout
from types import TracebackType

from . import _caps
from ._base_connection import ProxyConfig
from ._cache import BoundedCache
from ._collections import HTTPHeaderDict
from ._request_methods import RequestMethods
from .connection import (
    BaseSSLError,
    BrokenPipeError,
    DummyConnection,
    HTTPConnection,
    HTTPException,
    HTTPSConnection,
    _wrap_proxy_error,
)
from .connection import port_by_scheme as port_by_scheme
from .exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    EmptyPoolError,
    FullPoolError,
    HostChangedError,
    InsecureRequestWarning,
    LocationValueError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
    TimeoutError,
)
from .response import _call_hook, _fp_done
from .util.connection import is_connection_dropped
from .util.proxy import connection_requires_http_tunnel
from .util.request import _TYPE_BODY_POSITION, body_is_replayable, rewind_body, set_file_position
from .util.retry import Retry
from .util.ssl_match_hostname import CertificateError
from .util.timeout import _DEFAULT_TIMEOUT, Timeout
from .util.url import Url, _encode_target, parse_url
from .util.url import _normalize_host as normalize_host
from .util.util import to_str

if typing.TYPE_CHECKING:
    import ssl

    from .response import BaseHTTPResponse

log = logging.getLogger(__name__)

_TYPE_TIMEOUT = typing.Union[Timeout, float, None, typing.Any]

# errno values that mean the send failed but a response may still be readable.
_SEND_ERRNOS_TO_IGNORE = frozenset({errno.EPROTOTYPE, errno.ECONNRESET})
_blocking_errnos = {errno.EAGAIN, errno.EWOULDBLOCK}

# Errors of connecting or of an exchange that urlopen maps (_map_send_error)
# and may retry.
_SEND_ERRORS = (
    TimeoutError,
    HTTPException,
    OSError,
    ProtocolError,
    BaseSSLError,
    SSLError,
    CertificateError,
    ProxyError,
)

# RFC 9110 §9.2.2: requests that can be repeated without changing the result.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})

# Errors that, on a reused connection before any response byte, mean the
# server closed the idle connection while the request was on its way.
try:
    import ssl as _ssl

    _STALE_ERRORS: tuple[type[BaseException], ...] = (
        ConnectionResetError,
        BrokenPipeError,
        ConnectionAbortedError,
        _ssl.SSLEOFError,
        _ssl.SSLZeroReturnError,
    )
except ImportError:  # pragma: no cover
    _STALE_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)

# A request target that needs no percent-encoding: printable ASCII without
# space, '#', '%' or quote characters that _encode_target would change.
_SAFE_TARGET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?")
# Encoded request targets, by target: the same path is requested over and
# over.  Saves about 0.45 us per request on a 30-character target.
_TARGET_CACHE: BoundedCache[str, str] = BoundedCache(1024)
_TARGET_CACHE_MAX_LEN = 2048  # as parse_url's cache: longer targets are rare


def _encode_target_cached(target: str) -> str:
    # The same path is requested over and over: encode each string once.
    encoded = _TARGET_CACHE.get(target)
    if encoded is None:
        encoded = target if _SAFE_TARGET_CHARS.issuperset(target) else to_str(_encode_target(target))
        # Bounded in count and in size: a hostile server's unique, huge
        # redirect targets must not be kept for the life of the process.
        if len(target) <= _TARGET_CACHE_MAX_LEN:
            _TARGET_CACHE.put(target, encoded)
    return encoded


_STDLIB_LIFO_QUEUE = queue.LifoQueue


class _LifoConnQueue:
    """A LIFO stack of idle connections with :class:`queue.LifoQueue`'s
    interface (``get``/``put``/``qsize``/``empty``/``full``/``queue``).

    Last in, first out keeps the warmest connection in use and lets the rest
    go idle (and be closed by the server) when traffic drops. One plain lock,
    and a condition only touched when a caller waits, keep the uncontended
    get/put cheap.
    """

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize = maxsize
        self.queue: list[typing.Any] = []
        self.mutex = threading.Lock()
        self.not_empty = threading.Condition(self.mutex)
        self._waiters = 0

    def qsize(self) -> int:
        """Number of items (idle connections and free slots)."""
        with self.mutex:
            return len(self.queue)

    def empty(self) -> bool:
        """True when nothing can be taken without waiting."""
        with self.mutex:
            return not self.queue

    def full(self) -> bool:
        """True when a put would raise :class:`queue.Full`."""
        with self.mutex:
            return 0 < self.maxsize <= len(self.queue)

    def get(self, block: bool = True, timeout: float | None = None) -> typing.Any:
        """Take the most recently returned item; wait up to ``timeout``
        seconds (forever when None) if ``block``, else raise queue.Empty."""
        with self.mutex:
            items = self.queue
            if items:
                return items.pop()
            if not block:
                raise queue.Empty
            if timeout is not None and timeout < 0:
                raise ValueError("'timeout' must be a non-negative number")
            end = None if timeout is None else time.monotonic() + timeout
            self._waiters += 1
            try:
                while not items:
                    if end is None:
                        self.not_empty.wait()
                    else:
                        remaining = end - time.monotonic()
                        if remaining <= 0:
                            raise queue.Empty
                        self.not_empty.wait(remaining)
                return items.pop()
            finally:
                self._waiters -= 1

    def put(self, item: typing.Any, block: bool = True, timeout: float | None = None) -> None:
        """Add an item; raise queue.Full at ``maxsize`` (never waits: the
        pool only returns what it took)."""
        with self.mutex:
            if 0 < self.maxsize <= len(self.queue):
                raise queue.Full
            self.queue.append(item)
            if self._waiters:
                self.not_empty.notify()

    def get_nowait(self) -> typing.Any:
        """``get(block=False)``."""
        return self.get(block=False)

    def put_nowait(self, item: typing.Any) -> None:
        """``put(item, block=False)``."""
        self.put(item, block=False)


class ConnectionPool:
    """Base class for all connection pools, such as
    :class:`HTTPConnectionPool` and :class:`HTTPSConnectionPool`.

    .. note::
       ConnectionPool.urlopen() does not normalize or percent-encode target
       URIs beyond what a valid request line needs.
    """

    scheme: str | None = None
    QueueCls: typing.Any = _LifoConnQueue

    def __init__(self, host: str, port: int | None = None) -> None:
        if not host:
            raise LocationValueError("No host specified.")
        self.host = _normalize_host(host, scheme=self.scheme)
        self.port = port
        # CONNECT needs the brackets of an IPv6 literal, so keep that form too.
        self._tunnel_host = typing.cast(str, normalize_host(host, scheme=self.scheme)).lower()

    def __str__(self) -> str:
        return f"{type(self).__name__}(host={self.host!r}, port={self.port!r})"

    def __enter__(self) -> ConnectionPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> typing.Literal[False]:
        self.close()
        return False

    def close(self) -> None:
        """Close all pooled connections and disable the pool."""


class HTTPConnectionPool(ConnectionPool, RequestMethods):
    """Thread-safe connection pool for one host.

    :param host: Host used for this HTTP Connection (e.g. "localhost").
    :param port: Port (None: the scheme's default).
    :param timeout: Socket timeout for each connection, a float or a
        :class:`~pool.util.Timeout`; ``Timeout(total=...)`` is enforced as a
        deadline over connect, send, the response head and every read of
        the body, preloaded or streamed.
    :param maxsize: Number of idle connections to keep for reuse. With
        ``block=False`` more connections are opened when all are busy, but
        they are closed, not kept, when returned.
    :param block: If True, never more than ``maxsize`` connections at once:
        a request waits (``pool_timeout``) for one to come back, then raises
        :class:`EmptyPoolError`.
    :param headers: Headers sent with every request unless a request gives its own.
    :param retries: Default :class:`~pool.util.Retry` configuration.
    :param _proxy: Parsed proxy URL (set by ProxyManager).
    :param _proxy_headers: Headers for the proxy (set by ProxyManager).
    :param \\**conn_kw: Passed to each new connection (``source_address``,
        ``socket_options``, ``blocksize``, ``limits``, TLS settings...). Two pool-level
        knobs are taken out first, both off by default:
        ``idle_timeout`` (seconds a connection may sit idle before it is
        closed at checkout instead of reused) and ``max_connection_age``
        (seconds after which a connection is not reused).  And
        ``on_request_done``: ``hook(method, url, status, timings)``, called
        once per response when its body is done or it is released
        (docs/timings.md); whatever it raises is logged and ignored.
    """

    scheme = "http"
    ConnectionCls: type[HTTPConnection] = HTTPConnection
    # Connection caps shared across a PoolManager's pools (pool/_caps.py);
    # set by the manager on the pools it makes, None otherwise.
    _limiter: _caps._Limiter | None = None

    def __init__(
        self,
        host: str,
        port: int | None = None,
        timeout: _TYPE_TIMEOUT | None = _DEFAULT_TIMEOUT,
        maxsize: int = 1,
        block: bool = False,
        headers: typing.Mapping[str, str] | None = None,
        retries: Retry | bool | int | None = None,
        _proxy: Url | None = None,
        _proxy_headers: typing.Mapping[str, str] | None = None,
        _proxy_config: ProxyConfig | None = None,
        **conn_kw: typing.Any,
    ):
        ConnectionPool.__init__(self, host, port)
        RequestMethods.__init__(self, headers)

        if not isinstance(timeout, Timeout):
            timeout = Timeout.from_float(timeout)
        if retries is None:
            retries = Retry.DEFAULT

        self.timeout = timeout
        self.retries = retries

        self.pool: typing.Any = self._new_pool_queue(maxsize)
        self.block = block

        self.proxy = _proxy
        self.proxy_headers = _proxy_headers or {}
        self.proxy_config = _proxy_config

        # Each slot starts as None: taking one means "open a new connection".
        for _ in range(maxsize):
            self.pool.put(None)

        # Counted exactly as urllib3 counts them: connection objects created,
        # and requests sent.
        self.num_connections = 0
        self.num_requests = 0

        self._idle_timeout: float | None = conn_kw.pop("idle_timeout", None)
        self._max_age: float | None = conn_kw.pop("max_connection_age", None)
        self._on_request_done: typing.Callable[..., typing.Any] | None = conn_kw.pop("on_request_done", None)
        self.conn_kw = conn_kw

        if self.proxy:
            # Nagle on for proxies, as urllib3 does, to avoid tiny packets.
            self.conn_kw.setdefault("socket_options", [])
            self.conn_kw["proxy"] = self.proxy
            self.conn_kw["proxy_config"] = self.proxy_config

        # Statistics (see stats()).
        self._n_opened = 0
        self._n_reused = 0
        self._n_discarded = 0
        self._n_dropped = 0
        self._n_stale_retries = 0
        self._n_out = 0
        self._warned_full = False
        # id() of each connection of a class not derived from pool's that
        # this pool has lent -> whether it is out (see _lend_foreign).
        self._foreign_out: dict[int, bool] = {}
        # (timeout it was computed for, its result).  The key starts as an
        # object no caller can pass, so timeout=None misses the cache too.
        self._timeout_cache: tuple[object, tuple[typing.Any, typing.Any, typing.Any]] = (object(), (None, None, None))

        # Close pooled connections when the pool is garbage collected; pass
        # the queue, not self, so the finalizer doesn't keep the pool alive.
        weakref.finalize(self, _close_pool_connections, self.pool)

    # ------------------------------------------------------------ connections

    def _new_pool_queue(self, maxsize: int) -> typing.Any:
        # Resolved when the pool is made, as urllib3 2.8 does: a
        # queue.LifoQueue patched after import (gevent's monkey-patching)
        # is used instead of pool's own stack, which only the standard
        # threading primitives serve.
        if self.QueueCls is _LifoConnQueue and queue.LifoQueue is not _STDLIB_LIFO_QUEUE:
            return queue.LifoQueue(maxsize)
        return self.QueueCls(maxsize)

    def _new_conn(self) -> HTTPConnection:
        """Return a fresh :class:`HTTPConnection`."""
        self.num_connections += 1
        log.debug("Starting new HTTP connection (%d): %s:%s", self.num_connections, self.host, self.port or "80")
        conn = self.ConnectionCls(host=self.host, port=self.port, timeout=self.timeout.connect_timeout, **self.conn_kw)
        return conn

    def _get_conn(self, timeout: float | None = None) -> HTTPConnection:
        """Get a connection: an idle pooled one when available, else a new one
        (or, with ``block=True``, wait up to ``timeout`` seconds and raise
        :class:`EmptyPoolError`).

        An idle connection the server closed (or that spoke unasked), or that
        outlived ``idle_timeout``/``max_connection_age``, is closed here and
        reconnected on use.
        """
        pool = self.pool
        if pool is None:
            raise ClosedPoolError(self, "Pool is closed.")
        conn = None
        try:
            conn = pool.get(block=self.block, timeout=timeout)
        except AttributeError:  # pragma: no cover - closed concurrently
            raise ClosedPoolError(self, "Pool is closed.") from None
        except queue.Empty:
            if self.block:
                raise EmptyPoolError(
                    self, "Pool is empty and a new connection can't be opened due to blocking mode."
                ) from None

        if conn is not None:
            try:
                dropped = conn._lend()
            except AttributeError:  # a connection class not derived from ours
                self._lend_foreign(conn)
                dropped = conn.sock is not None and is_connection_dropped(conn)
            if dropped:
                log.debug("Resetting dropped connection: %s", self.host)
                self._n_dropped += 1
                conn.close()
            elif conn.sock is not None and (self._idle_timeout is not None or self._max_age is not None):
                self._check_age(conn)
        else:
            try:
                limiter = self._limiter
                conn = self._new_conn() if limiter is None else limiter.new_conn(self, timeout)
            except BaseException:
                # Give the slot back, or a blocking pool would shrink.
                pool.put(None, block=False)
                raise
            try:
                conn._lend()
            except AttributeError:  # a connection class not derived from ours
                self._lend_foreign(conn)
        self._n_out += 1
        return conn

    # Which connections are out, for connection classes not derived from
    # pool's (http.client-derived ones, test doubles): kept here, weakly,
    # rather than written onto objects the pool does not own.  Pool's own
    # connections keep it themselves (HTTPConnection._lend/_take_back).

    def _lend_foreign(self, conn: typing.Any) -> None:
        # Keyed by id(), not by the object: a class may define __eq__ (two
        # connections to one origin equal, or none hashable).  An id stays
        # this object's while its entry lives: a finalizer removes the entry
        # when the object goes (as the connection caps' slots do).
        out = self._foreign_out
        ident = id(conn)
        if ident not in out:
            try:
                weakref.finalize(conn, out.pop, ident, None).atexit = False
            except TypeError:  # not weak-referenceable: no double-return guard
                return
        out[ident] = True

    def _take_back(self, conn: typing.Any) -> bool | None:
        # True: it was out; False: already given back; None: never lent.
        try:
            return conn._take_back()  # type: ignore[no-any-return]
        except AttributeError:  # a connection class not derived from ours
            pass
        out = self._foreign_out
        state = out.get(id(conn))
        if state:
            out[id(conn)] = False
        return state

    def _check_age(self, conn: typing.Any) -> None:
        try:
            expired = conn._expired(self._idle_timeout, self._max_age)
        except AttributeError:  # a connection class not derived from ours: no clock kept
            return
        if expired:
            log.debug("Closing idle or aged connection: %s", self.host)
            self._n_discarded += 1
            conn.close()

    def _put_conn(self, conn: HTTPConnection | None) -> None:
        """Put a connection back into the pool.

        A connection whose last response left it unusable is closed first (it
        still goes back, to hold its slot). If the pool is full the connection
        is closed and discarded (``block=True``: :class:`FullPoolError`); if
        the pool is closed, it is closed. Returning the same connection twice
        is a no-op.
        """
        if conn is not None:
            try:
                state = conn._take_back()
            except AttributeError:  # a connection class not derived from ours
                state = self._take_back(conn)
            if state is False:
                return  # already returned (by its response, or earlier)
            if state:
                self._n_out -= 1
                if conn.sock is None:
                    # Closed while out: its response found it unusable.
                    self._n_discarded += 1
            if conn.sock is not None:
                try:
                    keep: bool | None = conn._reusable() and not conn._close_requested
                except AttributeError:  # a connection class not derived from ours
                    keep = None
                if keep is False:
                    self._n_discarded += 1
                    conn.close()
                else:
                    if keep and conn._armed:
                        conn._disarm()
        pool = self.pool
        if pool is not None:
            try:
                pool.put(conn, block=False)
                if self._limiter is not None:
                    self._limiter.idle()
                return
            except AttributeError:  # pragma: no cover - closed concurrently
                pass
            except queue.Full:
                if conn:
                    self._n_discarded += 1
                    conn.close()
                    if self._limiter is not None:
                        self._limiter.release(conn)
                if self.block:
                    raise FullPoolError(
                        self, "Pool reached maximum size and no more connections are allowed."
                    ) from None
                if not self._warned_full:
                    self._warned_full = True
                    log.warning(
                        "Connection pool is full, discarding connection: %s. Connection pool size: %s",
                        self.host,
                        pool.qsize(),
                    )
                return
        if conn:
            conn.close()
            if self._limiter is not None:
                self._limiter.release(conn)

    def _discard_conn(self, conn: typing.Any) -> None:
        # After an error in urlopen: close the connection and give its slot
        # back as None, as urllib3 does (a new connection object is made for
        # the slot).  Only urlopen calls this, before any response could
        # give the connection back (see _release_finished): it is still
        # this request's, never another's.
        if self._take_back(conn):
            self._n_out -= 1
        self._n_discarded += 1
        conn.close()
        if self._limiter is not None:
            self._limiter.release(conn)
        self._put_conn(None)

    def _validate_conn(self, conn: HTTPConnection) -> None:
        """Called right before a request is made, after the socket is created."""

    def _prepare_proxy(self, conn: HTTPConnection) -> None:
        """Set up and open a CONNECT tunnel on a new connection (a no-op for
        plain HTTP pools, whose requests through a proxy are forwarded)."""

    def _connect_via_proxy(self, conn: HTTPConnection, destination_scheme: str | None, timeout: typing.Any) -> None:
        # A closed connection of a pool behind a proxy: open the CONNECT
        # tunnel now when this destination needs one (RFC 9110 §9.3.6),
        # within the connect timeout. Reached only for new connections.
        if not connection_requires_http_tunnel(self.proxy, self.proxy_config, destination_scheme):
            return
        conn.timeout = self._timeouts(timeout)[0]
        try:
            self._prepare_proxy(conn)
        except (BaseSSLError, OSError, SocketTimeout) as e:
            self._raise_timeout(err=e, url=typing.cast(Url, self.proxy).url, timeout_value=conn.timeout)
            raise

    def _get_timeout(self, timeout: _TYPE_TIMEOUT) -> Timeout:
        """Helper that always returns a :class:`~pool.util.Timeout`."""
        if timeout is _DEFAULT_TIMEOUT:
            return self.timeout.clone()
        if isinstance(timeout, Timeout):
            return timeout.clone()
        return Timeout.from_float(timeout)

    def _raise_timeout(self, err: BaseException, url: str, timeout_value: typing.Any) -> None:
        """Raise ReadTimeoutError if ``err`` is a timeout; otherwise return."""
        if isinstance(err, SocketTimeout):
            raise ReadTimeoutError(self, url, f"Read timed out. (read timeout={timeout_value})") from err
        if getattr(err, "errno", None) in _blocking_errnos:
            raise ReadTimeoutError(self, url, f"Read timed out. (read timeout={timeout_value})") from err

    def _timeouts(self, timeout: typing.Any) -> tuple[typing.Any, typing.Any, typing.Any]:
        # (connect, read, total) for one request. The pool's own Timeout
        # without a total gives the same pair every time: cache it.
        cache = self._timeout_cache
        if timeout is _DEFAULT_TIMEOUT:
            timeout = self.timeout
        if cache[0] is timeout:
            return cache[1]
        if (type(timeout) is float or type(timeout) is int) and timeout > 0:
            # A plain number is both limits (Timeout.from_float), no total.
            return (timeout, timeout, None)
        if not isinstance(timeout, Timeout):
            timeout = Timeout.from_float(timeout)
        total = timeout.total
        if total is _DEFAULT_TIMEOUT:
            total = None
        connect = Timeout.resolve_default_timeout(timeout.connect_timeout)
        read = timeout._read if total is not None else timeout.read_timeout
        read = Timeout.resolve_default_timeout(read)
        result = (connect, read, total)
        if timeout is self.timeout:
            self._timeout_cache = (timeout, result)
        return result

    def _make_request(
        self,
        conn: HTTPConnection,
        method: str,
        url: str,
        body: typing.Any = None,
        headers: typing.Mapping[str, str] | None = None,
        retries: Retry | None = None,
        timeout: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
        chunked: bool = False,
        response_conn: HTTPConnection | None = None,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> BaseHTTPResponse:
        """Send one request on ``conn`` and read the response head (and the
        body, when ``preload_content``).

        ``timeout``'s connect limit covers connecting and sending, its read
        limit each read; a ``total`` is a deadline over all of it. The
        response returns ``conn`` to this pool once its body is read.
        """
        self.num_requests += 1
        # The pool's own timeout hits _timeouts' cache: read it here.
        cached = self._timeout_cache
        if cached[0] is (self.timeout if timeout is _DEFAULT_TIMEOUT else timeout):
            connect_t, read_t, total = cached[1]
        else:
            connect_t, read_t, total = self._timeouts(timeout)
        deadline = None
        if total is not None:
            deadline = time.monotonic() + total
            connect_t = total if connect_t is None else min(connect_t, total)
        conn.timeout = connect_t

        # The plain pool's _validate_conn does nothing: it is called when a
        # subclass (HTTPS) or an instance attribute replaces it.
        if type(self)._validate_conn is not _NO_VALIDATION or "_validate_conn" in self.__dict__:
            try:
                try:
                    self._validate_conn(conn)
                except (SocketTimeout, BaseSSLError) as e:
                    self._raise_timeout(err=e, url=url, timeout_value=conn.timeout)
                    raise
            except (OSError, NewConnectionError, TimeoutError, BaseSSLError, CertificateError, SSLError) as e:
                raise _map_send_error(e, conn)

        if deadline is not None:
            conn.timeout = self._send_timeout(deadline, total, connect_t, url)

        try:
            conn.request(
                method,
                url,
                body=body,
                headers=headers,
                chunked=chunked,
                preload_content=preload_content,
                decode_content=decode_content,
                enforce_content_length=enforce_content_length,
            )
        except BrokenPipeError:
            # The server may close after answering early (e.g. 413): the
            # response can still be read.
            if conn.sock is None:
                raise
        except OSError as e:
            if conn.sock is None or e.errno not in _SEND_ERRNOS_TO_IGNORE:
                raise
        if conn.sock is not None:
            if read_t == 0:
                raise ReadTimeoutError(self, url, f"Read timed out. (read timeout={read_t})")
            conn.timeout = read_t

        try:
            conn._sent(retries, read_t, deadline)
        except AttributeError:  # a connection class not derived from ours
            pass
        # The deadline stays armed on the Reader for a streamed body too:
        # every recv of it gets what is left of ``total``.  _put_conn disarms
        # it when the connection comes back.
        try:
            response = conn.getresponse()
        except (BaseSSLError, OSError) as e:
            self._raise_timeout(err=e, url=url, timeout_value=read_t if deadline is None else total)
            raise
        if log.isEnabledFor(logging.DEBUG):
            self._log_response(method, url, response)
        # The response names this pool from here on, and gives the
        # connection back to it when a body read later ends.  A body already
        # read (preloaded) gives nothing back yet: urlopen does that once it
        # is done with the exchange (_release_finished), as urllib3's
        # urlopen does, so no response returns a connection while the
        # request that took it is still running.
        try:
            wire = response._wire_body
        except AttributeError:
            wire = False
        if wire is True:
            response._pool = self
        else:
            # Not read by pool's Reader: http.client read it (a replaced
            # response_class), or a subclass's or patch's getresponse() made
            # it.  Adopted as urllib3 adopts whatever getresponse() returns.
            self._adopt_response(response, conn, retries, preload_content)
        return response

    def _send_timeout(self, deadline: float, total: float, connect_t: float | None, url: str) -> float:
        # The send's timeout under a Timeout.total deadline: what is left of
        # it, no more than the connect limit.
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReadTimeoutError(self, url, f"Read timed out. (total timeout={total})")
        return remaining if connect_t is None else min(connect_t, remaining)

    def _log_response(self, method: str, url: str, response: BaseHTTPResponse) -> None:
        log.debug(
            '%s://%s:%s "%s %s %s" %s %s',
            self.scheme,
            self.host,
            self.port,
            method,
            url,
            response.version_string,
            response.status,
            response.length_remaining,
        )

    def _adopt_response(
        self, response: typing.Any, conn: HTTPConnection, retries: Retry | None, preload_content: bool
    ) -> None:
        # urllib3's pooling attributes, set on the response as urllib3 sets
        # them; a body already read whole gives the connection back now (as
        # urllib3's urlopen does with release_conn), the others when they are
        # released.
        response.retries = retries
        response._pool = self
        # Not parsed by the Reader: its head is "received" now.
        response._t = now = _now()
        if preload_content:
            response._t_end = now
            # Read whole: urlopen gives the connection back (_release_finished).
            response._connection = None
            fp = getattr(response, "_fp", None)
            if fp is not None and not _fp_done(fp):
                conn.close()
        else:
            response._connection = conn

    def _release_finished(self, response: typing.Any, conn: HTTPConnection) -> None:
        # urlopen is done with the exchange: the connection goes back now if
        # the response has no body left to read on it (urllib3's
        # release_this_conn), else when that body ends.
        try:
            wire = response._wire_body
        except AttributeError:
            wire = False
        if wire is True:
            if response._reader is None and response._connection is not None:
                response._connection = None
                self._put_conn(conn)
        elif getattr(response, "_connection", None) is None:
            self._put_conn(conn)

    def close(self) -> None:
        """Close all idle pooled connections and disable the pool.

        Connections in use stay open until their response is done; they are
        closed when returned.
        """
        if self.pool is None:
            return
        old_pool, self.pool = self.pool, None
        _close_pool_connections(old_pool, self._limiter)

    def is_same_host(self, url: str) -> bool:
        """Check if the given ``url`` is a member of the same host as this pool."""
        if url.startswith("/"):
            return True
        scheme, _, host, port, *_ = parse_url(url)
        scheme = scheme or "http"
        if host is not None:
            host = _normalize_host(host, scheme=scheme)
        # An explicit default port equals no port.
        if self.port is not None and port is None:
            port = port_by_scheme.get(scheme)
        elif self.port is None and port == port_by_scheme.get(scheme):
            port = None
        return (scheme, host, port) == (self.scheme, self.host, self.port)

    def stats(self) -> dict[str, int]:
        """Counters for this pool: connections ``opened`` (sockets connected),
        ``reused`` (requests sent on an already open connection),
        ``discarded`` (closed instead of kept: unusable after a response,
        errors, pool full, idle/age limits), ``dropped_at_checkout`` (idle
        connections found closed by the server), ``retried_as_stale``
        (requests re-sent once on a fresh connection), ``in_use``, ``idle``
        (open connections waiting in the pool) and ``requests``
        (= :attr:`num_requests`). Updated without locking: exact when single
        threaded, approximate under contention."""
        pool = self.pool
        idle = 0
        if pool is not None:
            with pool.mutex:
                items = list(pool.queue)
            idle = sum(1 for c in items if c is not None and c.sock is not None)
        return {
            "opened": self._n_opened,
            "reused": self._n_reused,
            "discarded": self._n_discarded,
            "dropped_at_checkout": self._n_dropped,
            "retried_as_stale": self._n_stale_retries,
            "in_use": self._n_out,
            "idle": idle,
            "requests": self.num_requests,
        }

    def urlopen(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: typing.Any = None,
        headers: typing.Mapping[str, str] | None = None,
        retries: Retry | bool | int | None = None,
        redirect: bool = True,
        assert_same_host: bool = True,
        timeout: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
        pool_timeout: int | None = None,
        release_conn: bool | None = None,
        chunked: bool = False,
        body_pos: _TYPE_BODY_POSITION | None = None,
        preload_content: bool = True,
        decode_content: bool = True,
        **response_kw: typing.Any,
    ) -> BaseHTTPResponse:
        """Get a connection from the pool and perform an HTTP request.

        :param method: HTTP request method (such as GET, POST, PUT, etc.)
        :param url: The URL to perform the request on (a path, or an absolute
            URL on this pool's host).
        :param body: bytes, str, a file-like object or an iterable of
            bytes/str.
        :param headers: Headers to send; ``None`` uses the pool's headers.
            Given headers replace the pool's entirely.
        :param retries: A :class:`~pool.util.Retry`, an int (connection-error
            retries), ``False`` (no retries; redirects are returned, errors
            raised as they are), or ``None`` for the pool's default.
        :param redirect: Follow redirects (301, 302, 303, 307, 308) on this
            host; each counts as a retry.
        :param assert_same_host: Raise :class:`HostChangedError` for a URL on
            another host.
        :param timeout: Override the pool's timeout for this request.
        :param pool_timeout: With ``block=True``, seconds to wait for a free
            connection before :class:`EmptyPoolError`.
        :param release_conn: Accepted for compatibility. The connection goes
            back to the pool as soon as the response body has been read (at
            once with ``preload_content``), or on ``release_conn()``.
        :param chunked: Send the body with chunked transfer coding.
        :param body_pos: Where to rewind a file-like body before a retry or
            redirect (recorded automatically).
        :param preload_content: Read the whole body before returning.
        :param decode_content: Decode the body per Content-Encoding.

        A request that meets a reused connection the server had closed (the
        error comes before any response byte) is re-sent once on a new
        connection, without using the retry budget, if its method is
        idempotent and its body can be sent again.
        """
        if url[:1] == "/":
            encoded = _TARGET_CACHE.get(url)
            url = encoded if encoded is not None else _encode_target_cached(url)
            destination_scheme = None
        else:
            parsed_url = parse_url(url)
            destination_scheme = parsed_url.scheme
            # A fragment is never sent (RFC 9112 §3.2.2; urllib3 2.8).
            url = to_str(parsed_url._replace(fragment=None).url)

        if headers is None:
            headers = self.headers

        if retries is None:
            retries = self.retries
        if not isinstance(retries, Retry):
            retries = Retry.from_int(retries, redirect=redirect, default=self.retries)

        if release_conn is None:
            release_conn = preload_content

        if assert_same_host and not self.is_same_host(url):
            raise HostChangedError(self, url, retries)

        if self.proxy_headers and not connection_requires_http_tunnel(
            self.proxy, self.proxy_config, destination_scheme
        ):
            # Copy: the caller's (or the pool's) mapping must not change.
            headers = headers.copy()  # type: ignore[attr-defined]
            headers.update(self.proxy_headers)  # type: ignore[union-attr]

        if body is not None or body_pos is not None:
            body_pos = set_file_position(body, body_pos)

        conn = None
        follow: _Request | None = None
        clean_exit = False
        start = _now()
        make_request = self._make_request
        if response_kw:
            make_request = functools.partial(make_request, **response_kw)
        try:
            conn = self._get_conn(timeout=pool_timeout)
            reused = conn.sock is not None
            while True:
                if not reused and self.proxy is not None:
                    self._connect_via_proxy(conn, destination_scheme, timeout)
                try:
                    # Keyword arguments spelled out: unpacking an empty
                    # **response_kw would build a dict of all of them on
                    # every request (about 4k instructions of a small GET).
                    response = make_request(
                        conn,
                        method,
                        url,
                        timeout=timeout,
                        body=body,
                        headers=headers,
                        chunked=chunked,
                        retries=retries,
                        response_conn=conn,
                        preload_content=preload_content,
                        decode_content=decode_content,
                    )
                except _STALE_ERRORS:
                    if not (reused and self._can_resend(conn, method, body, body_pos)):
                        raise
                    self._drop_stale(conn, method, url, body, body_pos)
                    # Once more, as a new connection: a second failure is raised.
                    reused = False
                    continue
                break
            self._answered(response, conn, start, reused)
            clean_exit = True

        except EmptyPoolError:
            clean_exit = True
            conn = None
            raise

        except _SEND_ERRORS as e:
            follow = self._retry_after_error(e, conn, _Request(method, url, body, headers, retries, chunked, body_pos))

        finally:
            if not clean_exit and conn is not None:
                self._discard_conn(conn)
                conn = None

        if follow is None:  # answered: conn is this request's
            self._release_finished(response, conn)  # type: ignore[arg-type]
            if self._on_request_done is not None:
                self._hook_when_done(response, method, url)
            # Only a redirect, or a status that can be retried, needs a look.
            status = response.status
            if (
                (redirect and status in _REDIRECT_STATUSES)
                or retries.status_forcelist
                or status in _RETRY_AFTER_STATUSES
                or type(retries).is_retry is not Retry.is_retry
            ):
                req = _Request(method, url, body, headers, retries, chunked, body_pos)
                follow = self._follow_up(response, req, redirect)
            if follow is None:
                return response

        # Once more, after a broken connection, a redirect or a retried
        # status: the one place the request is issued again, through
        # urlopen itself as urllib3 does (a subclass's override sees it).
        return self.urlopen(
            follow.method,
            follow.url,
            follow.body,
            follow.headers,
            follow.retries,
            redirect,
            assert_same_host,
            timeout=timeout,
            pool_timeout=pool_timeout,
            release_conn=release_conn,
            chunked=follow.chunked,
            body_pos=follow.body_pos,
            preload_content=preload_content,
            decode_content=decode_content,
            **response_kw,
        )

    def _answered(self, response: typing.Any, conn: typing.Any, start: int, reused: bool) -> None:
        # A request got its response on conn: the pool's counts, and the
        # response's timing stamps (pool.util.timings).
        if reused:
            self._n_reused += 1
            stamps = None
        else:
            self._n_opened += 1
            stamps = getattr(conn, "_t_conn", None)
            # () for a connection opened without pool's stamps (or stamps
            # left from an earlier socket): not reused, times unknown.
            if stamps is None or stamps[0] < start:
                stamps = ()
        try:
            response._t = (start, conn._t_sent, response._t, stamps)
        except AttributeError:  # objects not of pool's classes: no timings
            pass

    def _hook_when_done(self, response: typing.Any, method: str, url: str) -> None:
        # on_request_done gets each response once, when its body is done:
        # now if it is (read with the head, or preloaded), else when the
        # response ends it (HTTPResponse._body_done).
        if url[:1] == "/":
            url = _url_from_pool(self, url)
        pending = (self._on_request_done, method, url)
        try:
            done = response._t_end is not None or (response._wire_body and response._reader is None)
        except AttributeError:  # a response class not derived from ours: it cannot tell
            done = True
        if done:
            _call_hook(pending, response)
        else:
            response._t_end = pending

    def _drop_stale(self, conn: HTTPConnection, method: str, url: str, body: typing.Any, body_pos: typing.Any) -> None:
        # RFC 9112 §9.3.1: the server closed the idle connection as we sent;
        # nothing was processed, so the request goes again on a fresh
        # connection, once, outside the retry budget.
        log.debug("Re-sending %s %s on a new connection: the idle one was closed", method, url)
        self._n_stale_retries += 1
        self._n_discarded += 1
        conn.close()
        if body_pos is not None:
            rewind_body(body, body_pos)

    def _retry_after_error(self, e: BaseException, conn: typing.Any, req: _Request) -> _Request:
        # ``e`` broke the exchange of ``req`` on ``conn``: raise it as
        # urllib3 names it, or count it against the retries and return the
        # request to send again.
        new_e = _map_send_error(e, conn, aborted=True)
        # An iterator body was (partly) consumed unless the failure came
        # before the connection was up; a retry would send the rest, or
        # nothing, under the same method: give the caller the error.
        if not body_is_replayable(req.body) and not isinstance(
            e, (NewConnectionError, ConnectTimeoutError, ProxyError)
        ):
            raise new_e from e
        retries = req.retries.increment(req.method, req.url, error=new_e, _pool=self, _stacktrace=sys.exc_info()[2])
        retries.sleep()
        log.warning("Retrying (%r) after connection broken by '%r': %s", retries, e, req.url)
        return req._replace(retries=retries)

    def _follow_up(self, response: BaseHTTPResponse, req: _Request, redirect: bool) -> _Request | None:
        # The request that follows ``response`` to ``req``: a redirect
        # (with ``redirect``) or a status to retry; None when the caller
        # gets ``response`` itself.
        status = response.status
        location = redirect and status in _REDIRECT_STATUSES and response.get_redirect_location()
        if location:
            follow = plan_redirect(response, self, req, location)
            if follow is None:
                return None
            follow.retries.check_retry_after(response, _pool=self, url=req.url)
            follow.retries.sleep_for_retry(response)
            log.debug("Redirecting %s -> %s", req.url, location)
            return follow._replace(url=location)
        retries = req.retries
        if not (
            (
                retries.status_forcelist
                or status in _RETRY_AFTER_STATUSES
                or type(retries).is_retry is not Retry.is_retry
            )
            and retries.is_retry(req.method, status, bool(response.headers.get("Retry-After")))
        ):
            return None
        try:
            retries = retries.increment(req.method, req.url, response=response, _pool=self)
        except MaxRetryError:
            if retries.raise_on_status:
                response.drain_conn()
                raise
            return None
        response.drain_conn()
        retries.check_retry_after(response, _pool=self, url=req.url)
        retries.sleep(response)
        log.debug("Retry: %s", req.url)
        return req._replace(retries=retries)

    def _can_resend(self, conn: typing.Any, method: str, body: typing.Any, body_pos: typing.Any) -> bool:
        reader = getattr(conn, "_reader", None)
        if reader is not None and reader.response_started:
            return False
        if method.upper() not in _IDEMPOTENT_METHODS:
            return False
        if body is None or isinstance(body, (bytes, str, bytearray, memoryview)):
            return True
        # A file-like body can be sent again only if it can be rewound.
        return isinstance(body_pos, int) and hasattr(body, "seek")


_NO_VALIDATION = HTTPConnectionPool._validate_conn
_now = time.perf_counter_ns
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class _Request(typing.NamedTuple):
    """A request as a retry or a redirect re-issues it: the parts either
    may change.  urlopen's other arguments go on as the caller gave them.
    Made only when a request is issued again, never on the way of one
    that is answered."""

    method: str
    url: str
    body: typing.Any
    headers: typing.Any
    retries: Retry
    chunked: bool
    body_pos: typing.Any


_RETRY_AFTER_STATUSES = frozenset(Retry.RETRY_AFTER_STATUS_CODES)


def _redirect_headers(headers: typing.Any, retries: Retry, pool: HTTPConnectionPool, location: str) -> typing.Any:
    """``headers`` for following a redirect to ``location``: without those
    named in ``retries.remove_headers_on_redirect`` when it leaves the host
    of ``pool``.  Used by pools and by PoolManager."""
    if retries.remove_headers_on_redirect and not pool.is_same_host(location):
        kept = headers.copy()
        for header in headers:
            if header.lower() in retries.remove_headers_on_redirect:
                kept.pop(header, None)
        return kept
    return headers


def _map_send_error(e: BaseException, conn: typing.Any, *, aborted: bool = False) -> Exception:
    """The exception urllib3 raises for ``e``, met while connecting or
    exchanging a request on ``conn``: TLS errors become SSLError, errors
    before a proxy was reached ProxyError, and with ``aborted`` (a request
    that broke off) other socket and http.client errors ProtocolError."""
    new_e: Exception = SSLError(e) if isinstance(e, (BaseSSLError, CertificateError)) else e  # type: ignore[assignment]
    if (
        isinstance(new_e, (OSError, NewConnectionError, TimeoutError, SSLError, HTTPException))
        and conn is not None
        and conn.proxy
        and not conn.has_connected_to_proxy
    ):
        return _wrap_proxy_error(new_e, conn.proxy.scheme)
    if aborted and isinstance(new_e, (OSError, HTTPException)):
        return ProtocolError("Connection aborted.", new_e)
    return new_e


def plan_redirect(
    response: BaseHTTPResponse, pool: HTTPConnectionPool, req: _Request, location: str
) -> _Request | None:
    """The request that follows ``response`` to ``req``, a redirect to
    ``location`` (the caller sets its url), or None when the caller gets
    ``response`` itself.  The one redirect planner: pools and PoolManager
    both ask it.

    RFC 9110 §15.4.4: a 303 turns the request into a GET without a body and
    without the headers that framed or described it.  301/302 keep the
    method and body, as urllib3 does (§15.4.2 allows either; requests
    rewrites a POST itself before calling us), and so do 307/308; a
    consumed iterator can't be repeated, so then the caller gets the
    redirect.  Headers named in ``retries.remove_headers_on_redirect`` are
    dropped when the redirect leaves ``pool``'s host.  The redirect counts
    against ``retries``: when they run out, MaxRetryError with
    ``raise_on_redirect``, else the redirect is returned.  The response's
    body is drained, so its connection can be reused."""
    if response.status == 303:
        # Nothing left to frame (urllib3 2.8 drops it too).
        headers = HTTPHeaderDict(req.headers)._prepare_for_method_change()
        req = req._replace(method="GET", body=None, headers=headers, chunked=False, body_pos=None)
    elif not body_is_replayable(req.body):
        return None

    retries = req.retries
    headers = _redirect_headers(req.headers, retries, pool, location)
    try:
        retries = retries.increment(req.method, req.url, response=response, _pool=pool)
    except MaxRetryError:
        if retries.raise_on_redirect:
            response.drain_conn()
            raise
        return None
    response.drain_conn()
    return req._replace(headers=headers, retries=retries)


class HTTPSConnectionPool(HTTPConnectionPool):
    """Same as :class:`HTTPConnectionPool`, but HTTPS.

    :class:`HTTPSConnection` uses one of ``assert_fingerprint``,
    ``assert_hostname`` and ``host`` in this order to verify connections.
    If ``assert_hostname`` is False, no host name verification is done.
    The TLS parameters are passed to each :class:`HTTPSConnection`.
    """

    scheme = "https"
    ConnectionCls: type[HTTPSConnection] = HTTPSConnection

    def __init__(
        self,
        host: str,
        port: int | None = None,
        timeout: _TYPE_TIMEOUT | None = _DEFAULT_TIMEOUT,
        maxsize: int = 1,
        block: bool = False,
        headers: typing.Mapping[str, str] | None = None,
        retries: Retry | bool | int | None = None,
        _proxy: Url | None = None,
        _proxy_headers: typing.Mapping[str, str] | None = None,
        key_file: str | None = None,
        cert_file: str | None = None,
        cert_reqs: int | str | None = None,
        key_password: str | None = None,
        ca_certs: str | None = None,
        ssl_version: int | str | None = None,
        ssl_minimum_version: ssl.TLSVersion | None = None,
        ssl_maximum_version: ssl.TLSVersion | None = None,
        assert_hostname: str | typing.Literal[False] | None = None,
        assert_fingerprint: str | None = None,
        ca_cert_dir: str | None = None,
        **conn_kw: typing.Any,
    ) -> None:
        super().__init__(host, port, timeout, maxsize, block, headers, retries, _proxy, _proxy_headers, **conn_kw)
        self.key_file = key_file
        self.cert_file = cert_file
        self.cert_reqs = cert_reqs
        self.key_password = key_password
        self.ca_certs = ca_certs
        self.ca_cert_dir = ca_cert_dir
        self.ssl_version = ssl_version
        self.ssl_minimum_version = ssl_minimum_version
        self.ssl_maximum_version = ssl_maximum_version
        self.assert_hostname = assert_hostname
        self.assert_fingerprint = assert_fingerprint

    def _prepare_proxy(self, conn: HTTPSConnection) -> None:  # type: ignore[override]
        """Establish a tunnel connection through HTTP CONNECT."""
        tunnel_scheme = "https" if self.proxy and self.proxy.scheme == "https" else "http"
        conn.set_tunnel(scheme=tunnel_scheme, host=self._tunnel_host, port=self.port, headers=self.proxy_headers)
        conn.connect()

    def _new_conn(self) -> HTTPSConnection:
        """Return a fresh :class:`HTTPSConnection`."""
        self.num_connections += 1
        log.debug("Starting new HTTPS connection (%d): %s:%s", self.num_connections, self.host, self.port or "443")
        # DummyConnection stands in for HTTPSConnection where ssl is missing.
        if not self.ConnectionCls or issubclass(self.ConnectionCls, DummyConnection):  # pragma: no cover
            raise ImportError("Can't connect to HTTPS URL because the SSL module is not available.")
        actual_host: str = self.host
        actual_port = self.port
        if self.proxy is not None and self.proxy.host is not None:
            actual_host = self.proxy.host
            actual_port = self.proxy.port
        conn = self.ConnectionCls(
            host=actual_host,
            port=actual_port,
            timeout=self.timeout.connect_timeout,
            cert_file=self.cert_file,
            key_file=self.key_file,
            key_password=self.key_password,
            cert_reqs=self.cert_reqs,
            ca_certs=self.ca_certs,
            ca_cert_dir=self.ca_cert_dir,
            assert_hostname=self.assert_hostname,
            assert_fingerprint=self.assert_fingerprint,
            ssl_version=self.ssl_version,
            ssl_minimum_version=self.ssl_minimum_version,
            ssl_maximum_version=self.ssl_maximum_version,
            **self.conn_kw,
        )
        return conn

    def _validate_conn(self, conn: HTTPConnection) -> None:
        """Connect early (TLS handshake) and warn when the connection is not
        verified."""
        super()._validate_conn(conn)
        if conn.is_closed:
            conn.connect()
        if not conn.is_verified and not conn.proxy_is_verified:
            warnings.warn(
                (
                    f"Unverified HTTPS request is being made to host '{conn.host}'. "
                    "Adding certificate verification is strongly advised. See: "
                    "https://urllib3.readthedocs.io/en/latest/advanced-usage.html"
                    "#tls-warnings"
                ),
                InsecureRequestWarning,
            )


def connection_from_url(url: str, **kw: typing.Any) -> HTTPConnectionPool:
    """Given a url, return an :class:`ConnectionPool` instance of its host.

    This is a shortcut for not having to parse out the scheme, host, and port
    of the url before creating an :class:`ConnectionPool` instance.

    :param url: Absolute URL string that must include the scheme. Port is optional.
    :param \\**kw: Passed to the constructor of the appropriate pool class.

    Example::

        >>> conn = connection_from_url('http://example.com/')
        >>> r = conn.request('GET', '/')
    """
    scheme, _, host, port, *_ = parse_url(url)
    scheme = scheme or "http"
    if port is None:
        port = port_by_scheme.get(scheme, 80)
    if scheme == "https":
        return HTTPSConnectionPool(host, port=port, **kw)  # type: ignore[arg-type]
    return HTTPConnectionPool(host, port=port, **kw)  # type: ignore[arg-type]


@typing.overload
def _normalize_host(host: None, scheme: str | None) -> None: ...


@typing.overload
def _normalize_host(host: str, scheme: str | None) -> str: ...


def _normalize_host(host: str | None, scheme: str | None) -> str | None:
    """Normalize a host for comparisons and sockets: lower case, IDNA, and
    no brackets around IPv6 literals."""
    host = normalize_host(host, scheme)
    if host and host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host


def _url_from_pool(pool: HTTPConnectionPool, path: str | None = None) -> str:
    """The URL of a pool and path, for logs and tests."""
    return Url(scheme=pool.scheme, host=pool.host, port=pool.port, path=path).url


def _close_pool_connections(pool: typing.Any, limiter: _caps._Limiter | None = None) -> None:
    """Drain a queue of connections and close each one (giving its slot
    back to ``limiter``; without one, as when a pool is collected, each
    connection's slot comes back when the connection itself is)."""
    try:
        while True:
            conn = pool.get(block=False)
            if conn:
                conn.close()
                if limiter is not None:
                    limiter.release(conn)
    except queue.Empty:
        pass

"""One HTTP/1.1 connection to one origin: socket and TLS set-up, sending a
request, and handing the response head to :class:`~pool.response.HTTPResponse`.

Message syntax is RFC 9112 (request line §3, header fields §5, message body
length §6, chunked transfer coding §7.1); TLS follows RFC 9110 §4.3.4 (the
server's identity is checked against the host the request was meant for).

Unlike urllib3 this module does not build on :mod:`http.client`: the request
head is serialized in one call by the wire layer, and each socket gets one
:class:`pool._wire.Reader` that parses response heads and frames bodies.
"""

from __future__ import annotations

import datetime
import http.client
import io
import logging
import os
import re
import select
import socket
import stat
import sys
import time
import typing
import warnings

# urllib3 exports http.client's base exception from here; pool raises its own
# classes, but code that catches this name keeps working.
from http.client import HTTPException as HTTPException
from http.client import ResponseNotReady
from socket import timeout as SocketTimeout

from . import _compiled
from ._base_connection import _TYPE_BODY, ProxyConfig, _ResponseOptions  # noqa: F401
from ._cache import BoundedCache
from ._version import URLLIB3_API_VERSION
from ._wire import HeadParser, Reader, serialize_request
from .exceptions import (
    ConnectTimeoutError,
    InvalidBodyFraming,
    InvalidMethod,
    InvalidRequestHeader,
    InvalidRequestTarget,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    RemoteDisconnected,
    SystemTimeWarning,
    UnexpectedProtocolSwitch,
)
from .util import ssl_ as _ssl_util
from .util.connection import _TYPE_RESOLVER, _happy_eyeballs_delay, _resolved, _StaticResolver, create_connection
from .util.limits import DEFAULT_LIMITS, Limits
from .util.request import SKIP_HEADER, SKIPPABLE_HEADERS, body_to_chunks
from .util.ssl_match_hostname import CertificateError, match_hostname
from .util.timeout import _DEFAULT_TIMEOUT, Timeout
from .util.wait import wait_for_read

try:  # Compiled with SSL?
    import ssl

    BaseSSLError = ssl.SSLError
except (ImportError, AttributeError):  # pragma: no cover - every supported build has ssl
    ssl = None  # type: ignore[assignment]

    class BaseSSLError(BaseException):  # type: ignore[no-redef]
        """Stand-in when the interpreter has no ssl module."""


if typing.TYPE_CHECKING:
    from .response import HTTPResponse
    from .util.url import Url

# Re-exported as urllib3 does, so ``except connection.BrokenPipeError`` works.
ConnectionError = ConnectionError
BrokenPipeError = BrokenPipeError

log = logging.getLogger(__name__)

# warnings.warn(stacklevel=_CALLER) names the caller of the warning function,
# whether this module runs from source or compiled (pool/_compiled.py).
_CALLER = _compiled.caller_stacklevel(lambda: None)

#: Default port per scheme.
port_by_scheme: dict[str, int] = {"http": 80, "https": 443}

#: A clock before this date can't be right, and would make every certificate
#: look not yet valid: warn (SystemTimeWarning) when connecting with TLS.
RECENT_DATE = datetime.date(2025, 1, 1)

_TYPE_SOCKET_OPTIONS = typing.List[typing.Tuple[int, int, typing.Union[int, bytes]]]

# A request with one of these methods and no body gets no Content-Length
# (RFC 9110 §8.6: a user agent SHOULD NOT send Content-Length when the
# method does not define a meaning for content); other methods get
# ``Content-Length: 0``, as urllib3 sends.
_METHODS_NOT_EXPECTING_BODY = frozenset({"GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"})
# Request heads a connection keeps (see HTTPConnection._head_cache); beyond
# this many different (method, target) pairs it starts over.
_HEAD_CACHE_MAX = 32
# The socket's timeout when the Reader set it itself (see _arm): unknown, so
# the next request sets its own.
_UNKNOWN_TIMEOUT = object()

# Bodies up to this size are joined to the head and go out in one sendall():
# one syscall and usually one TCP segment, at the price of one copy.
_COALESCE_LIMIT = 65536

# Host names never contain these; refusing them here keeps a crafted host from
# reaching getaddrinfo() or the Host header.  A backslash too: browsers (and
# proxies that parse URLs as they do) end the authority there, so a Host or
# absolute-form target holding one names another host to them.
_BAD_HOST_CHARS = frozenset(chr(c) for c in range(0x21)) | {"\x7f", "/", "?", "#", "@", "\\"}


def _tls_held_check(sock: typing.Any) -> typing.Callable[[], bool] | None:
    """For a TLS socket, a function telling whether its TLS layer (or
    layers, TLS in TLS) holds bytes taken off the socket and not yet read:
    decrypted data, or records not yet decrypted.  None for other sockets."""
    if ssl is not None and isinstance(sock, ssl.SSLSocket):
        return lambda: sock.pending() > 0
    transport = _ssl_util.SSLTransport
    if transport is not None and isinstance(sock, transport):
        outer = _tls_held_check(sock.socket)
        return lambda: sock.pending() > 0 or sock.incoming.pending > 0 or (outer is not None and outer())
    return None


def _get_default_user_agent() -> str:
    # The same value urllib3 sends, so servers that key on it see no change.
    return f"python-urllib3/{URLLIB3_API_VERSION}"


_DEFAULT_USER_AGENT = _get_default_user_agent()


def _host_header_value(host: str, port: int, default_port: int) -> str:
    # RFC 9112 §3.2: Host is the authority; IPv6 literals keep their brackets
    # and the port is left out when it is the scheme's default.
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        host = host.encode("idna").decode("ascii")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port == default_port:
        return host
    return f"{host}:{port}"


# http.client's hooks that pool's own request path does not go through: a
# subclass (or a patch of pool's class) that replaces one of them gets its
# requests sent through http.client's chain, putrequest -> putheader ->
# endheaders -> _send_output -> send, exactly as on urllib3.
_SEND_HOOKS = ("putrequest", "putheader", "endheaders", "_send_output", "send")
_HTTPLIB_RESPONSE = http.client.HTTPResponse
_now = time.perf_counter_ns
_CS_IDLE = "Idle"
_CS_REQ_SENT = "Request-sent"
# What urllib3 refuses in a method before http.client sees it.
_CONTROL_CHAR_RE = re.compile(r"[^-!#$%&'*+.^_`|~0-9a-zA-Z]")


class _HookWatch(type):
    """The connection classes' metaclass: it forgets a class's cached choice
    of request path (and its subclasses') when one of the hooks is patched
    on it, so the choice is made once per class and stays right."""

    def __setattr__(cls, name: str, value: typing.Any) -> None:
        super().__setattr__(name, value)
        if name in _SEND_HOOKS:
            todo = [cls]
            while todo:
                c = todo.pop()
                type.__setattr__(c, "_via_http_client", None)
                todo.extend(typing.cast(typing.List[_HookWatch], c.__subclasses__()))


class HTTPConnection(http.client.HTTPConnection, metaclass=_HookWatch):
    """One HTTP/1.1 connection, opened lazily on the first request.

    An :class:`http.client.HTTPConnection`, as urllib3's is, so code that
    subclasses it and overrides http.client's hooks keeps working: pool's own
    classes, and subclasses that override none of ``putrequest``,
    ``putheader``, ``endheaders``, ``_send_output`` and ``send``, send each
    request head in one serialized ``sendall``; a subclass that overrides one
    has its requests sent through those hooks (decided once per class).  The
    response is read by pool's Reader over whatever :attr:`sock` is when the
    request is sent (a subclass's ``connect()`` may open any socket), unless
    :attr:`response_class` was replaced: then http.client reads it and the
    result is wrapped as urllib3 wraps it.

    Keyword parameters, as urllib3's:

    - ``timeout``: seconds for connect and each socket operation (``None``:
      wait forever; default: :func:`socket.getdefaulttimeout`).
    - ``source_address``: ``(host, port)`` to bind the local end to.
    - ``socket_options``: ``setsockopt`` triples applied before connect;
      defaults to :attr:`default_socket_options` (TCP_NODELAY on). Pass ``[]``
      to set none.
    - ``blocksize``: bytes read from a file-like body per send.
    - ``limits``: a :class:`~pool.util.limits.Limits` for the responses read
      on this connection (default: :data:`~pool.util.limits.DEFAULT_LIMITS`).

    pool's own, all off by default (docs/connecting.md):

    - ``resolver``: ``resolver(host, port, family)`` returning addresses,
      used instead of ``getaddrinfo`` (see :class:`~pool.util.connection.DNSCache`).
    - ``resolve``: a curl-style map, ``{"host:port": "address"}``, consulted
      first; TLS still sends SNI for, and verifies, the host name.
    - ``happy_eyeballs``: ``True`` or a delay in seconds races the
      connection attempts (RFC 8305) instead of trying one after another.
    """

    default_port = port_by_scheme["http"]

    #: Disable Nagle's algorithm: a request head is one small write that must
    #: not wait for an ACK.
    default_socket_options: typing.ClassVar[_TYPE_SOCKET_OPTIONS] = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]

    #: Whether this connection verifies the host's certificate.
    is_verified: bool = False

    #: Whether the proxy's certificate was verified (None: no proxy connected).
    proxy_is_verified: bool | None = None

    # Serialized heads of body-less requests without caller headers, by
    # (method, target), for the _base_headers they were made with: a
    # keep-alive client asks for the same few URLs again and again.
    _head_cache: tuple[typing.Any, BoundedCache[tuple[str, str], bytes]] | None = None

    # Whether a pool has lent this connection out: True while out, False
    # once given back, None if no pool has lent it yet.  Written only by
    # _lend and _take_back, which the pool calls.
    _checked_out: bool | None = None
    # A Timeout.total deadline is armed on the Reader (see _arm).
    _armed: bool = False
    _last_used: float = 0.0
    _created_at: float = 0.0
    # The last socket's connect stamps (time.perf_counter_ns): (began,
    # name resolved or None, connected, TLS done or None); see
    # pool.util.timings.  A pool reads them for a request that connected.
    _t_conn: tuple[int, int | None, int, int | None] | None = None
    # When the last request's head and body were sent (the pool sets it).
    _t_sent: int | None = None
    _sock_timeout: typing.Any = _DEFAULT_TIMEOUT
    _resp_retries: typing.Any = None
    # Don't reuse after this response: the caller sent "Connection: close",
    # or the protocol was switched (101) on a response http.client read.
    _close_requested: bool = False
    # A response head was read on this socket since the last request.
    _in_response: bool = False
    # The request being answered carried an Upgrade header field: only then
    # may its answer be 101 Switching Protocols (RFC 9110 §15.2.2).
    _upgrade_requested: bool = False
    # For a TLS socket: whether its TLS layer holds bytes not yet read.
    _tls_held: typing.Callable[[], bool] | None = None
    # None until the first request of a class: then whether it overrides an
    # http.client hook of _SEND_HOOKS (see _HookWatch).
    _via_http_client: bool | None = None

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        timeout: typing.Any = _DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
        blocksize: int = 16384,
        socket_options: None | _TYPE_SOCKET_OPTIONS = default_socket_options,
        proxy: Url | None = None,
        proxy_config: ProxyConfig | None = None,
        limits: Limits | None = None,
        resolver: _TYPE_RESOLVER | None = None,
        resolve: typing.Mapping[str, typing.Any] | None = None,
        happy_eyeballs: bool | float | None = None,
    ) -> None:
        if port is None:
            host, port = self._split_host_port(host)
        self.host = host
        if isinstance(port, str) and port.isdigit() and port.isascii():
            port = int(port)  # http.client accepted "8080" too
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise LocationValueError(f"Port out of range 0-65535: {port!r}")
        self.port = port
        self.timeout = Timeout.resolve_default_timeout(timeout)
        self.source_address = source_address
        self.blocksize = blocksize
        self.socket_options = socket_options
        self.proxy = proxy
        self.proxy_config = proxy_config
        if limits is None:
            limits = DEFAULT_LIMITS
        elif not isinstance(limits, Limits):
            raise TypeError(f"limits must be a Limits, got {type(limits).__name__}")
        #: The :class:`~pool.util.limits.Limits` of this connection's responses.
        self.limits = limits
        _happy_eyeballs_delay(happy_eyeballs)  # a bad value fails here, not at connect
        self.resolver = resolver
        self.resolve = resolve
        self.happy_eyeballs = happy_eyeballs
        # The resolver create_connection gets: the static map in front of
        # the resolver, or None for getaddrinfo.
        self._resolver: _TYPE_RESOLVER | None = _StaticResolver(resolve, resolver) if resolve else resolver
        self.sock: typing.Any = None
        # http.client.HTTPConnection's own state, for its methods and for
        # code that reads it (set here: its __init__ would parse host and
        # port its own way).
        self._buffer: list[bytes] = []
        self._HTTPConnection__response: typing.Any = None
        self._HTTPConnection__state = _CS_IDLE
        self._method: str | None = None
        self._raw_proxy_headers = None
        self._create_connection = create_connection
        self._reader: typing.Any = None
        self._poller: typing.Any = None
        self._response_options: tuple[typing.Any, ...] | None = None
        self._pending_head: tuple[str, str, list[typing.Any]] | None = None
        self._has_connected_to_proxy = False
        self._tunnel_host: str | None = None
        self._tunnel_port: int | None = None
        self._tunnel_scheme: str | None = None
        self._tunnel_headers: typing.Mapping[str, str] = {}
        # The three headers urllib3 adds to every request, serialized by the
        # wire layer together with the caller's; computed once per connection.
        self._host_header = _host_header_value(self.host, self.port, self.default_port)
        self._base_headers = (
            ("Host", self._host_header),
            ("Accept-Encoding", "identity"),
            ("User-Agent", _DEFAULT_USER_AGENT),
        )

    def __init_subclass__(cls, **kwargs: typing.Any) -> None:
        super().__init_subclass__(**kwargs)
        # Each class decides for itself (an inherited answer would be its
        # parent's).
        type.__setattr__(cls, "_via_http_client", None)

    def _split_host_port(self, host: str) -> tuple[str, int]:
        # http.client accepts "host:port" when no port is given; so do we.
        i = host.rfind(":")
        j = host.rfind("]")
        if i > j:
            digits = host[i + 1 :]
            if not digits:
                return host[:i], self.default_port
            if not digits.isdigit():
                raise LocationValueError(f"Invalid port: {digits!r}")
            host, port = host[:i], int(digits)
        else:
            port = self.default_port
        if host and host[0] == "[" and host[-1] == "]":
            host = host[1:-1]
        return host, port

    def __str__(self) -> str:
        return f"{type(self).__name__}(host={self.host!r}, port={self.port!r})"

    def __repr__(self) -> str:
        return f"<{self} at {id(self):#x}>"

    @property
    def host(self) -> str:
        """The host name without a trailing dot (certificates and Host headers
        never carry it); DNS resolution still uses the name as given."""
        return self._dns_host.rstrip(".")

    @host.setter
    def host(self, value: str) -> None:
        if not isinstance(value, str) or not value or any(c in _BAD_HOST_CHARS for c in value):
            raise LocationValueError(f"Invalid host: {value!r}")
        self._dns_host = value

    # ------------------------------------------------------------ set-up

    def _new_conn(self) -> socket.socket:
        """Open the TCP connection and apply the socket options.

        Maps failures to urllib3's exceptions: :class:`NameResolutionError`,
        :class:`ConnectTimeoutError`, :class:`NewConnectionError`.
        """
        began = _now()
        try:
            if self._resolver is None and not self.happy_eyeballs:
                sock = create_connection(
                    (self._dns_host, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            else:
                sock = create_connection(
                    (self._dns_host, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                    resolver=self._resolver,
                    happy_eyeballs=self.happy_eyeballs,
                )
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e
        except SocketTimeout as e:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from e
        except OSError as e:
            raise NewConnectionError(self, f"Failed to establish a new connection: {e}") from e
        connected = _now()
        # create_connection left its resolution stamp beside it; one from
        # another call (a replaced create_connection) is not this one's.
        resolved = getattr(_resolved, "ns", None)
        if resolved is not None and not began <= resolved <= connected:
            resolved = None
        self._t_conn = (began, resolved, connected, None)
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock

    def _attach(self, sock: typing.Any) -> None:
        # One Reader per socket, kept for the socket's life: its buffer is
        # reused for every response on this connection.
        self.sock = sock
        self._sock_timeout = self.timeout
        # For the pool's max_connection_age / idle_timeout knobs.
        self._created_at = self._last_used = time.monotonic()
        limits = self.limits
        self._reader = Reader(
            sock,
            max_head_size=limits.max_head_size,
            max_headers=limits.max_headers,
            max_chunk_line=limits.max_chunk_line,
            max_trailer_size=limits.max_trailer_size,
            max_interim=limits.max_interim_responses,
        )
        try:
            poller = select.poll()
            poller.register(sock, select.POLLIN | select.POLLPRI)
        except (AttributeError, OSError, ValueError):  # pragma: no cover - no poll() on this platform
            poller = None
        self._poller = poller
        self._tls_held = _tls_held_check(sock)

    def connect(self) -> None:
        """Open the connection now (normally done by the first request).

        With a tunnel set (:meth:`set_tunnel`), the socket goes to the proxy
        and a CONNECT request turns it into a tunnel to the origin first.
        """
        sock = self._new_conn()
        if self._tunnel_host is not None:
            self._has_connected_to_proxy = True
            self._tunnel(sock)
        self._attach(sock)
        self._has_connected_to_proxy = bool(self.proxy)
        if self._has_connected_to_proxy:
            self.proxy_is_verified = False

    def set_tunnel(
        self,
        host: str,
        port: int | None = None,
        headers: typing.Mapping[str, str] | None = None,
        scheme: str = "http",
    ) -> None:
        """Make the next :meth:`connect` open a CONNECT tunnel (RFC 9110
        §9.3.6) to ``host:port`` through the proxy this connection points at.

        ``port`` defaults to the port in ``host`` or this class's default
        port; ``headers`` (e.g. Proxy-Authorization) go on the CONNECT
        request only; ``scheme`` is the proxy's ("https": TLS to the proxy
        first). Requests then carry the tunnel's host in their Host header.
        The tunnel is kept across :meth:`close`: a reconnect opens it again.
        """
        if scheme not in ("http", "https"):
            raise ValueError(f"Invalid proxy scheme for tunneling: {scheme!r}, must be either 'http' or 'https'")
        if self.sock is not None:
            raise RuntimeError("Can't set up tunnel for established connection")
        if port is None:
            host, port = self._split_host_port(host)
        elif host[:1] == "[" and host[-1:] == "]":
            host = host[1:-1]
        self._tunnel_host = host
        self._tunnel_port = port
        self._tunnel_headers = dict(headers) if headers else {}
        self._tunnel_scheme = scheme
        # Decided once here, not per request: through a tunnel the Host
        # header names the origin, not the proxy the socket goes to.
        self._host_header = _host_header_value(host.rstrip("."), port, self.default_port)
        self._base_headers = (("Host", self._host_header), *self._base_headers[1:])

    def _tunnel(self, sock: typing.Any) -> None:
        # RFC 9110 §9.3.6: CONNECT with the authority as target (RFC 9112
        # §3.2.3); any 2xx makes the connection a byte stream to the origin.
        # A refusal closes the socket and counts as not having reached the
        # proxy, so the pool reports a ProxyError; a timeout or reset while
        # waiting is reported as such, as urllib3 reports them.
        host = typing.cast(str, self._tunnel_host)
        try:
            # Checked before a byte goes out, with urllib3 2.8's words.
            if any(c <= " " or c == "\x7f" for c in host):
                raise InvalidRequestTarget(f"Tunnel host can't contain control characters: {host!r}")
            authority = _host_header_value(host, typing.cast(int, self._tunnel_port), -1)
            pairs: list[typing.Any] = [("Host", authority), *self._tunnel_headers.items()]
            try:
                head = serialize_request("CONNECT", authority, pairs)
            except InvalidRequestHeader as e:
                raise InvalidRequestHeader(f"Invalid header in the tunnel request: {e}") from None
            sock.sendall(head)
            status, reason = _read_connect_response(sock, self.debuglevel)
        except BaseException:
            sock.close()
            raise
        if not 200 <= status < 300:
            self._has_connected_to_proxy = False
            sock.close()
            raise OSError(f"Tunnel connection failed: {status} {reason.strip()}")

    @property
    def is_closed(self) -> bool:
        """True before the first connect and after :meth:`close`."""
        return self.sock is None

    @property
    def is_connected(self) -> bool:
        """True when the socket is open and the peer has sent nothing unasked
        (no EOF, no stray bytes): the connection can carry a request."""
        if self.sock is None:
            return False
        return not self._peer_spoke()

    def _peer_spoke(self) -> bool:
        # Between responses an idle keep-alive connection must be silent: a
        # readable socket means EOF (the server closed it) or unsolicited
        # bytes, and either way it can't carry the next request.
        poller = self._poller
        if poller is not None:
            if poller.poll(0):
                return True
        elif wait_for_read(self.sock, timeout=0.0):  # pragma: no cover
            return True
        # Over TLS, bytes that came in the same record as the end of a body
        # are kept by the TLS layer, where poll() does not look.
        held = self._tls_held
        return held is not None and held()

    @property
    def has_connected_to_proxy(self) -> bool:
        """Whether the connection reached its proxy."""
        return self._has_connected_to_proxy

    @property
    def proxy_is_forwarding(self) -> bool:
        """True if a forwarding (non-CONNECT) proxy is configured."""
        return bool(self.proxy) and self._tunnel_host is None

    @property
    def proxy_is_tunneling(self) -> bool:
        """True if a CONNECT tunnel is configured."""
        return self._tunnel_host is not None

    def close(self) -> None:
        """Close the socket; the connection may be opened again later."""
        sock = self.sock
        self.sock = None
        self._reader = None
        self._poller = None
        self._tls_held = None
        self.is_verified = False
        self.proxy_is_verified = None
        self._has_connected_to_proxy = False
        self._response_options = None
        self._sock_timeout = _DEFAULT_TIMEOUT
        self._close_requested = False
        self._upgrade_requested = False
        self._in_response = False
        self._HTTPConnection__state = _CS_IDLE
        response = self._HTTPConnection__response
        self._HTTPConnection__response = None
        if sock is not None:
            try:
                sock.close()
            except OSError:  # pragma: no cover - close() of a dead socket
                pass
        if response is not None:
            response.close()

    # ------------------------------------------------------------ request

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
        *,
        chunked: bool = False,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> None:
        """Send one request: the head (with Host, Accept-Encoding: identity,
        User-Agent and framing headers added as urllib3 adds them) and the body.

        ``body`` may be bytes, str (sent as UTF-8), a file-like object or an
        iterable of bytes/str; bodies of unknown length go out chunked (RFC
        9112 §7.1). A caller-set Content-Length or Transfer-Encoding that
        disagrees with the body raises :class:`InvalidBodyFraming` before
        anything is sent; a bad method, target or header raises the wire
        layer's :class:`InvalidRequest` subclasses, also before sending.
        """
        via = self._via_http_client
        if via is None:
            via = self._choose_request_path()
        if via or self.debuglevel:
            self._request_via_http_client(
                method,
                url,
                body,
                headers,
                chunked,
                (method, url, preload_content, decode_content, enforce_content_length),
            )
            return
        if body is None and not headers and not chunked:
            # The common case: no body, no caller headers. One tuple of
            # prebuilt pairs, serialized in one call, and the result kept:
            # it depends on nothing else.
            base = self._base_headers
            cache = self._head_cache
            if cache is None or cache[0] is not base:
                cache = self._head_cache = (base, BoundedCache(_HEAD_CACHE_MAX))
            data = cache[1].get((method, url))
            if data is None:
                if method in _METHODS_NOT_EXPECTING_BODY or method.upper() in _METHODS_NOT_EXPECTING_BODY:
                    pairs: typing.Any = base
                else:
                    pairs = (*base[:2], ("Content-Length", "0"), base[2])
                data = serialize_request(method, url, pairs)
                cache[1].put((method, url), data)
            chunks = None
        else:
            data, chunks, chunked = self._prepare(method, url, body, headers, chunked)

        sock = self._ready_socket()
        self._response_options = (method, url, preload_content, decode_content, enforce_content_length)
        if chunks is None:
            sock.sendall(data)
        else:
            self._send_body(sock, data, chunks, chunked)

    def _lend(self) -> bool:
        """A pool hands this connection to a request (see _take_back).
        Returns whether its idle socket can no longer carry one: the server
        closed it or spoke unasked (see _peer_spoke)."""
        self._checked_out = True
        if self.sock is None:
            return False
        # The common case without a second call: plain TCP, silent.
        poller = self._poller
        if poller is not None and self._tls_held is None and not poller.poll(0):
            return False
        return self._peer_spoke()

    def _take_back(self) -> bool | None:
        """A pool takes this connection back: whether it was out (True), was
        already given back (False: a second return is a no-op for the pool)
        or was never lent by a pool (None)."""
        state = self._checked_out
        if state:
            self._checked_out = False
            self._last_used = time.monotonic()
        return state

    def _expired(self, idle_timeout: float | None, max_age: float | None) -> bool:
        """Whether this connection sat idle (since a pool took it back) longer
        than ``idle_timeout`` seconds, or has lived longer than ``max_age``
        since it connected; either None: no such limit."""
        now = time.monotonic()
        return (idle_timeout is not None and now - self._last_used > idle_timeout) or (
            max_age is not None and now - self._created_at > max_age
        )

    def _sent(self, retries: typing.Any, read_timeout: typing.Any, deadline: float | None) -> None:
        """A pool sent a request on this connection: the Retry its response
        carries, when the request went out (for its timings), and a
        Timeout.total deadline to arm, if any (see _arm)."""
        self._t_sent = _now()
        self._resp_retries = retries
        if deadline is not None:
            self._arm(read_timeout, deadline)

    def _reusable(self) -> bool:
        """Whether the last response on this socket left it fit for another
        request: read to its framed end, nothing after it, no close asked by
        the server (the Reader knows all three; see Reader.reusable).  The
        one test of reuse: the pool, the response and the next request ask
        it, none decides alone.  A request's own ``Connection: close`` is
        the pool's to honour (:attr:`_close_requested`)."""
        return not self._in_response or self._reader.reusable

    def _arm(self, read_timeout: typing.Any, deadline: float) -> None:
        # A Timeout.total for the exchange about to be read: the Reader
        # applies it, with the read timeout, to every receive (the head, and
        # a body read later too) until the pool disarms it.
        reader = self._reader
        if reader is not None:
            reader.read_timeout = read_timeout
            reader.deadline = deadline
            # The Reader sets the socket timeout itself from here on.
            self._sock_timeout = _UNKNOWN_TIMEOUT
            self._armed = True

    def _disarm(self) -> None:
        # Back in the pool: a Timeout.total bounded the last exchange only.
        self._armed = False
        reader = self._reader
        if reader is not None:
            reader.deadline = None

    def _ready_socket(self) -> typing.Any:
        """The socket the next request goes out on: the current one when
        the last response on it ended cleanly, else a new one (connecting
        with :meth:`connect`, which a subclass may replace), with a Reader
        attached to whatever :attr:`sock` it opened."""
        sock = self.sock
        if sock is not None and self._in_response:
            # _reusable(), without the call on the per-request path.
            if not self._reader.reusable:
                # The last response on this socket wasn't read to its end, or
                # ended the connection: its leftover bytes must never be read
                # as this request's response. Start over on a new socket.
                self.close()
                sock = None
            self._in_response = False
        if sock is None:
            self.connect()
            sock = self.sock
            if self._reader is None or self._reader.sock is not sock:
                self._attach(sock)
        elif self._sock_timeout != self.timeout:
            sock.settimeout(self.timeout)
            self._sock_timeout = self.timeout
        return sock

    @classmethod
    def _choose_request_path(cls) -> bool:
        # Once per class (and again only if a hook is patched on it): does
        # it replace any of http.client's hooks that pool's request path
        # would otherwise bypass?
        via = any(getattr(cls, name) is not _OWN_HOOKS[name] for name in _SEND_HOOKS)
        type.__setattr__(cls, "_via_http_client", via)
        return via

    def _request_via_http_client(
        self,
        method: str,
        url: str,
        body: typing.Any,
        headers: typing.Mapping[str, str] | None,
        chunked: bool,
        options: tuple[typing.Any, ...],
    ) -> None:
        # urllib3's HTTPConnection.request, step by step through the hooks
        # a subclass overrides, on pool's framing rules: Host and
        # Accept-Encoding from putrequest, then the framing headers, the
        # User-Agent and the caller's, endheaders(), and the body through
        # send().
        if self.sock is not None:
            self._ready_socket()
        self._response_options = options
        if headers is None:
            headers = {}
        keys, framing, chunks, chunked, declared = self._frame(method, body, headers, chunked)
        self._HTTPConnection__state = _CS_IDLE
        self.putrequest(method, url, skip_host="host" in keys, skip_accept_encoding="accept-encoding" in keys)
        for name, value in framing:
            self.putheader(name, value)
        if "user-agent" not in keys:
            self.putheader("User-Agent", _DEFAULT_USER_AGENT)
        for name, value in headers.items():
            self.putheader(name, value)
        self.endheaders()
        if chunks is not None:
            if declared is not None:
                chunks = _LengthChecked(chunks, declared)
            for chunk in chunks:
                # An empty chunk would end a chunked body early (RFC 9112 §7.1).
                if not chunk:
                    continue
                if isinstance(chunk, str):
                    chunk = chunk.encode("utf-8")
                self.send(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            self.send(b"0\r\n\r\n")

    def _prepare(
        self,
        method: str,
        url: str,
        body: typing.Any,
        headers: typing.Mapping[str, str] | None,
        chunked: bool,
    ) -> tuple[bytes, typing.Any, bool]:
        # Serializes the head with the framing _frame() chose; returns
        # (head, body chunks or None, chunked).
        if headers is None:
            headers = {}
        items = _header_items(headers)
        keys, framing, chunks, chunked, declared = self._frame(method, body, headers, chunked, items)
        pairs: list[typing.Any] = []
        if "host" not in keys:
            pairs.append(self._base_headers[0])
        if "accept-encoding" not in keys:
            pairs.append(self._base_headers[1])
        pairs.extend(framing)
        if "user-agent" not in keys:
            pairs.append(self._base_headers[2])
        for name, value in items:
            # _frame() refused SKIP_HEADER on any other header already.
            if not (isinstance(value, str) and value == SKIP_HEADER):
                pairs.append((name, value))
        head = serialize_request(method, url, pairs)

        if declared is not None:
            chunks = _LengthChecked(chunks, declared, body)
        if isinstance(chunks, tuple) and len(chunks) == 1:
            only = chunks[0]
            if len(only) <= _COALESCE_LIMIT:
                if chunked:
                    head = (
                        b"".join((head, b"%x\r\n" % len(only), only, b"\r\n0\r\n\r\n")) if only else head + b"0\r\n\r\n"
                    )
                else:
                    head = head + bytes(only)
                return head, None, False
        if chunks is None and chunked:
            return head + b"0\r\n\r\n", None, False
        return head, chunks, chunked

    def _frame(
        self,
        method: str,
        body: typing.Any,
        headers: typing.Mapping[str, str],
        chunked: bool,
        items: typing.Iterable[tuple[typing.Any, typing.Any]] | None = None,
    ) -> tuple[dict[str, typing.Any], list[tuple[str, str]], typing.Any, bool, int | None]:
        # Works out the framing (RFC 9112 §6.2/§6.3 from the sender's side):
        # returns (caller's header names by lower-case name, framing headers
        # to add, body chunks or None, chunked, and the declared
        # Content-Length a body of unknown length must be held to, or None).
        keys: dict[str, typing.Any] = {}
        for name, value in headers.items() if items is None else items:
            lname = (name.decode("latin-1") if isinstance(name, bytes) else name).lower()
            if isinstance(value, str) and value == SKIP_HEADER and lname not in SKIPPABLE_HEADERS:
                _check_skippable(name)  # raises, before any framing check
            keys[lname] = name

        # The body as sendable chunks, and its length when known up front.
        if body is None:
            chunks: typing.Any = None
            content_length = None if method.upper() in _METHODS_NOT_EXPECTING_BODY else 0
        elif isinstance(body, bytes):
            chunks, content_length = (body,), len(body)
        elif isinstance(body, str):
            b = body.encode("utf-8")
            chunks, content_length = (b,), len(b)
        else:
            cl = body_to_chunks(body, method=method, blocksize=self.blocksize)
            chunks, content_length = cl.chunks, cl.content_length

        framing: list[tuple[str, str]] = []
        declared_length: int | None = None
        has_cl = "content-length" in keys
        has_te = "transfer-encoding" in keys
        if "connection" in keys:
            value = headers[keys["connection"]]
            value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            # RFC 9112 §9.6: after sending "close" the client must not send
            # another request on this connection.
            if "close" in (t.strip().lower() for t in value.split(",")):
                self._close_requested = True
        self._upgrade_requested = "upgrade" in keys
        if has_cl and (has_te or chunked):
            raise InvalidBodyFraming(
                "Content-Length and Transfer-Encoding (or chunked=True) together make the body length ambiguous"
            )
        if has_te or chunked:
            if has_te:
                te = headers[keys["transfer-encoding"]]
                te = te.decode("latin-1") if isinstance(te, bytes) else str(te)
                codings = [c.strip().lower() for c in te.split(",") if c.strip()]
                # RFC 9112 §6.1: chunked must be the final coding of a request.
                if not codings or codings[-1] != "chunked" or codings.count("chunked") != 1:
                    raise InvalidBodyFraming(
                        f"Transfer-Encoding {te!r} must end with 'chunked', the only framing pool sends"
                    )
            else:
                framing.append(("Transfer-Encoding", "chunked"))
            chunked = True
        elif has_cl:
            raw = headers[keys["content-length"]]
            raw = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
            if not raw.isdigit() or not raw.isascii():
                raise InvalidBodyFraming(f"Content-Length must be a decimal number, got {raw!r}")
            declared_length = int(raw)
            if content_length is not None and declared_length != content_length:
                raise InvalidBodyFraming(
                    f"Content-Length {declared_length} disagrees with the body's {content_length} bytes"
                )
            if chunks is None and declared_length != 0:
                raise InvalidBodyFraming(f"Content-Length {declared_length} given without a body")
        elif content_length is None:
            if chunks is not None:
                chunked = True
                framing.append(("Transfer-Encoding", "chunked"))
        else:
            framing.append(("Content-Length", str(content_length)))
        declared = None
        if chunks is not None and declared_length is not None and content_length is None:
            declared = declared_length
        return keys, framing, chunks, chunked, declared

    def _send_body(self, sock: typing.Any, head: bytes, chunks: typing.Iterable[typing.Any], chunked: bool) -> None:
        sock.sendall(head)
        if type(chunks) is _LengthChecked and chunks.file is not None and type(sock) is socket.socket:
            # A file on disk over plain TCP: the kernel copies it (sendfile).
            chunks.sendfile(sock)
            return
        for chunk in chunks:
            # An empty chunk would end a chunked body early (RFC 9112 §7.1).
            if not chunk:
                continue
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            if chunked:
                sock.sendall(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            else:
                sock.sendall(chunk)
        if chunked:
            sock.sendall(b"0\r\n\r\n")

    # http.client's step-by-step API, inherited from it with urllib3's
    # additions; pool's request path uses it only for subclasses that
    # override one of these hooks (see _choose_request_path).

    def putrequest(self, method: str, url: str, skip_host: bool = False, skip_accept_encoding: bool = False) -> None:
        """Start a request head (http.client's putrequest); Host and
        Accept-Encoding: identity are added unless skipped."""
        if _CONTROL_CHAR_RE.search(method):
            raise InvalidMethod(
                f"Method cannot contain non-token characters {method!r} "
                f"(found at least {_CONTROL_CHAR_RE.search(method).group()!r})"  # type: ignore[union-attr]
            )
        if self._response_options is None:
            # For a head built step by step and read with getresponse().
            self._response_options = (method, url, True, True, True)
        self._upgrade_requested = False
        super().putrequest(method, url, skip_host=skip_host, skip_accept_encoding=skip_accept_encoding)

    def putheader(self, header: str | bytes, *values: typing.Any) -> None:
        """Add a header to the head started by :meth:`putrequest`.  Several
        values make one field line joined by ", " (RFC 9110 §5.3; http.client
        would fold them, which a request may not do); a value with CR, LF,
        NUL or another control character raises InvalidRequestHeader."""
        if any(isinstance(v, str) and v == SKIP_HEADER for v in values):
            _check_skippable(header)
            return
        parts = [
            v.encode("latin-1") if isinstance(v, str) else str(v).encode("ascii") if isinstance(v, int) else v
            for v in values
        ]
        value = b", ".join(parts) if len(parts) != 1 else parts[0]
        if (header.decode("latin-1") if isinstance(header, bytes) else header).lower() == "upgrade":
            self._upgrade_requested = True
        # The wire layer's rules, the same as for every other request head.
        serialize_request("GET", "/", ((header, value),))
        super().putheader(header, value)

    def send(self, data: typing.Any) -> None:
        """Send bytes (or a file-like or iterable body) on the connection,
        connecting first if needed (http.client's send)."""
        if self.sock is None:
            self.connect()
        elif self._sock_timeout != self.timeout:
            self.sock.settimeout(self.timeout)
            self._sock_timeout = self.timeout
        super().send(data)

    def request_chunked(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
    ) -> None:
        """Deprecated alias of ``request(..., chunked=True)``."""
        warnings.warn(
            "HTTPConnection.request_chunked() is deprecated and will be removed "
            "in urllib3 v3.0. Instead use HTTPConnection.request(..., chunked=True).",
            category=FutureWarning,
            stacklevel=_CALLER,
        )
        self.request(method, url, body=body, headers=headers, chunked=True)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]
        """Read the response head and return an :class:`HTTPResponse` whose
        body is read from this connection's Reader.

        Raises :class:`http.client.ResponseNotReady` when no request is pending.
        """
        opts = self._response_options
        if opts is None:
            raise ResponseNotReady()
        if self._sock_timeout != self.timeout:
            self.sock.settimeout(self.timeout)
            self._sock_timeout = self.timeout
        if self.response_class is not _HTTPLIB_RESPONSE or self.debuglevel:
            # A replaced response_class reads it; debuglevel prints it.
            return self._getresponse_via_http_client(opts)
        self._response_options = None
        self._in_response = True
        method, url, preload_content, decode_content, enforce_content_length = opts
        reader = self._reader
        # http.client's state machine ends here: pool reads the response.
        self._HTTPConnection__state = _CS_IDLE
        if self._via_http_client:
            # The request went out through http.client's hooks, which may
            # have connected by themselves.
            if reader is None or reader.sock is not self.sock:
                self._attach(self.sock)
                reader = self._reader
        if reader.enforce_content_length is not enforce_content_length:
            reader.enforce_content_length = enforce_content_length
        # One call reads the head, builds the header dict's contents and,
        # when the whole body came with the head, takes the body too.
        upgrade = self._upgrade_requested
        if upgrade:
            self._upgrade_requested = False
        head = reader.read_response(method == "HEAD" or (method != "GET" and method.upper() == "HEAD"), preload_content)
        if head[1] == 101 and not upgrade:
            self._refuse_protocol_switch()
        if _HTTPResponse is None:
            _bind_late()
        response: HTTPResponse = _HTTPResponse._from_wire_head(
            reader,
            head,
            self,
            method,
            url,
            preload_content,
            decode_content,
            enforce_content_length,
            self._resp_retries,
        )
        return response

    def _getresponse_via_http_client(self, opts: tuple[typing.Any, ...]) -> HTTPResponse:
        # response_class was replaced (botocore does, for a final answer to
        # "Expect: 100-continue"): http.client reads the response with it,
        # and it is wrapped as urllib3 wraps it.
        self._response_options = None
        method, url, preload_content, decode_content, enforce_content_length = opts
        if self._HTTPConnection__state == _CS_IDLE:
            # Sent by pool's own path, which leaves http.client's state alone.
            self._HTTPConnection__state = _CS_REQ_SENT
            self._method = method
        shutdown = getattr(self.sock, "shutdown", None)
        upgrade = self._upgrade_requested
        self._upgrade_requested = False
        httplib_response = super().getresponse()
        if httplib_response.status == 101:
            if not upgrade:
                self._refuse_protocol_switch()
            # What follows is the upgraded protocol: http.client would let
            # the connection be reused (a 101 has no body), pool does not.
            self._close_requested = True
        if _HTTPResponse is None:
            _bind_late()
        headers = _HTTPHeaderDict(list(httplib_response.msg.items()))
        response: HTTPResponse = _HTTPResponse(
            body=httplib_response,
            headers=headers,
            status=httplib_response.status,
            version=httplib_response.version,
            version_string=getattr(self, "_http_vsn_str", "HTTP/?"),
            reason=httplib_response.reason,
            preload_content=preload_content,
            decode_content=decode_content,
            original_response=httplib_response,
            enforce_content_length=enforce_content_length,
            request_method=method,
            request_url=url,
            sock_shutdown=shutdown,
        )
        return response

    def _refuse_protocol_switch(self) -> typing.NoReturn:
        # RFC 9110 §15.2.2: a server may switch only to a protocol the
        # request offered in Upgrade.  The bytes after this head belong to
        # another protocol: the connection is closed, never reused.
        self.close()
        raise UnexpectedProtocolSwitch(
            "the server answered 101 Switching Protocols to a request that asked for no upgrade"
        )


def _header_items(headers: typing.Mapping[str, typing.Any]) -> typing.Iterable[tuple[typing.Any, typing.Any]]:
    # The (name, value) pairs of a request's headers, one per value, as
    # headers.items() gives them; for pool's own HTTPHeaderDict (which
    # request_encode_body hands every POST) read straight from its store,
    # without the item view and generator, since they are walked twice.
    if type(headers) is _HTTPHeaderDict:
        store = typing.cast(_HTTPHeaderDict, headers)._container
        return [(vals[0], v) for vals in store.values() for v in vals[1:]]
    return headers.items()


def _check_skippable(name: str | bytes) -> None:
    lname = (name.decode("latin-1") if isinstance(name, bytes) else name).lower()
    if lname not in SKIPPABLE_HEADERS:
        allowed = "', '".join(h.title() for h in sorted(SKIPPABLE_HEADERS))
        raise ValueError(f"urllib3.util.SKIP_HEADER only supports '{allowed}'")


# A body of a declared length at least this large, in a file on disk, goes
# out with sendfile() on plain TCP; smaller ones are cheaper read and sent.
_SENDFILE_MIN = 65536
# Exactly these types: a subclass may override read() (progress callbacks,
# throttling), which sendfile() would bypass.
_DISK_FILE_TYPES = (io.BufferedReader, io.BufferedRandom, io.FileIO)


def _is_disk_file(body: typing.Any) -> bool:
    """Whether *body* is a binary file object, of Python's own types, over a
    regular file: what the kernel can send without Python reading it."""
    if type(body) not in _DISK_FILE_TYPES or "b" not in getattr(body, "mode", "b"):
        return False
    try:
        return body.readable() and body.seekable() and stat.S_ISREG(os.fstat(body.fileno()).st_mode)
    except (OSError, ValueError):
        return False


class _LengthChecked:
    """Wraps a body of unknown length that the caller declared with
    Content-Length, and refuses to send more or fewer bytes than declared:
    a mismatch would desynchronise the connection (RFC 9112 §6.3)."""

    def __init__(self, chunks: typing.Iterable[typing.Any], declared: int, body: typing.Any = None) -> None:
        self._chunks = chunks
        self._declared = declared
        # The body itself when the kernel may send it (see sendfile()).
        self.file = body if declared >= _SENDFILE_MIN and _is_disk_file(body) else None

    def sendfile(self, sock: socket.socket) -> None:
        """Send the declared length of :attr:`file`, from its position, with
        the kernel's sendfile; raise as iterating would on a mismatch.

        The last byte is read and sent only once the file is known to end
        right after it: like the iteration, this never lets the server
        receive a whole request out of a body longer than declared."""
        file: typing.Any = self.file
        declared = self._declared
        start = file.tell()
        sent = sock.sendfile(file, start, declared - 1)  # leaves the file at start + sent
        tail = file.read(2) if sent == declared - 1 else b""
        if sent + len(tail) > declared:
            raise InvalidBodyFraming(f"The body is longer than its Content-Length {declared}")
        if sent + len(tail) < declared:
            raise InvalidBodyFraming(f"The body ended after {sent + len(tail)} of its Content-Length {declared} bytes")
        sock.sendall(tail)

    def __iter__(self) -> typing.Iterator[bytes]:
        sent = 0
        for chunk in self._chunks:
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8")
            sent += len(chunk)
            if sent > self._declared:
                raise InvalidBodyFraming(f"The body is longer than its Content-Length {self._declared}")
            yield chunk
        if sent != self._declared:
            raise InvalidBodyFraming(f"The body ended after {sent} of its Content-Length {self._declared} bytes")


class HTTPSConnection(HTTPConnection):
    """An :class:`HTTPConnection` over TLS.

    Certificates are verified by default (``cert_reqs`` CERT_REQUIRED) against
    ``ca_certs``/``ca_cert_dir``/``ca_cert_data`` or, when none is given,
    certifi's bundle if installed, else the system store. The host name is
    checked against ``assert_hostname`` or the host (SNI is sent for names,
    not for IP addresses); ``assert_fingerprint`` pins the certificate
    instead. ``cert_file``/``key_file``/``key_password`` present a client
    certificate. TLS failures raise :class:`ssl.SSLError` (or
    :class:`~pool.util.ssl_match_hostname.CertificateError`), which the pool
    turns into :class:`~pool.exceptions.SSLError`.
    """

    default_port = port_by_scheme["https"]

    cert_reqs: int | str | None = None
    ca_certs: str | None = None
    ca_cert_dir: str | None = None
    ca_cert_data: None | str | bytes = None
    ssl_version: int | str | None = None
    ssl_minimum_version: int | None = None
    ssl_maximum_version: int | None = None
    assert_fingerprint: str | None = None

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        timeout: typing.Any = _DEFAULT_TIMEOUT,
        source_address: tuple[str, int] | None = None,
        blocksize: int = 16384,
        socket_options: None | _TYPE_SOCKET_OPTIONS = HTTPConnection.default_socket_options,
        proxy: Url | None = None,
        proxy_config: ProxyConfig | None = None,
        cert_reqs: int | str | None = None,
        assert_hostname: None | str | typing.Literal[False] = None,
        assert_fingerprint: str | None = None,
        server_hostname: str | None = None,
        ssl_context: typing.Any = None,
        ca_certs: str | None = None,
        ca_cert_dir: str | None = None,
        ca_cert_data: None | str | bytes = None,
        ssl_minimum_version: int | None = None,
        ssl_maximum_version: int | None = None,
        ssl_version: int | str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        key_password: str | None = None,
        limits: Limits | None = None,
        resolver: _TYPE_RESOLVER | None = None,
        resolve: typing.Mapping[str, typing.Any] | None = None,
        happy_eyeballs: bool | float | None = None,
    ) -> None:
        super().__init__(
            host,
            port=port,
            timeout=timeout,
            source_address=source_address,
            blocksize=blocksize,
            socket_options=socket_options,
            proxy=proxy,
            proxy_config=proxy_config,
            limits=limits,
            resolver=resolver,
            resolve=resolve,
            happy_eyeballs=happy_eyeballs,
        )
        self.ssl_context = ssl_context
        self.server_hostname = server_hostname
        self.ssl_version = ssl_version
        self.ssl_minimum_version = ssl_minimum_version
        self.ssl_maximum_version = ssl_maximum_version
        # After ssl_context, which the default cert_reqs comes from.
        self._set_cert(
            key_file,
            cert_file,
            cert_reqs,
            key_password,
            ca_certs,
            assert_hostname,
            assert_fingerprint,
            ca_cert_dir,
            ca_cert_data,
        )

    def set_cert(
        self,
        key_file: str | None = None,
        cert_file: str | None = None,
        cert_reqs: int | str | None = None,
        key_password: str | None = None,
        ca_certs: str | None = None,
        assert_hostname: None | str | typing.Literal[False] = None,
        assert_fingerprint: str | None = None,
        ca_cert_dir: str | None = None,
        ca_cert_data: None | str | bytes = None,
    ) -> None:
        """Deprecated: pass these to the constructor instead."""
        warnings.warn(
            "HTTPSConnection.set_cert() is deprecated and will be removed "
            "in urllib3 v3.0. Instead provide the parameters to the "
            "HTTPSConnection constructor.",
            category=FutureWarning,
            stacklevel=_CALLER,
        )
        self._set_cert(
            key_file,
            cert_file,
            cert_reqs,
            key_password,
            ca_certs,
            assert_hostname,
            assert_fingerprint,
            ca_cert_dir,
            ca_cert_data,
        )

    def _set_cert(
        self,
        key_file: str | None,
        cert_file: str | None,
        cert_reqs: int | str | None,
        key_password: str | None,
        ca_certs: str | None,
        assert_hostname: None | str | typing.Literal[False],
        assert_fingerprint: str | None,
        ca_cert_dir: str | None,
        ca_cert_data: None | str | bytes,
    ) -> None:
        # The certificate and verification settings; cert_reqs defaults to
        # what ssl_context (if any) verifies.
        if cert_reqs is None:
            cert_reqs = (
                self.ssl_context.verify_mode if self.ssl_context is not None else _ssl_util.resolve_cert_reqs(None)
            )
        self.key_file = key_file
        self.cert_file = cert_file
        self.cert_reqs = cert_reqs
        self.key_password = key_password
        self.assert_hostname = assert_hostname
        self.assert_fingerprint = assert_fingerprint
        self.ca_certs = ca_certs and os.path.expanduser(ca_certs)
        self.ca_cert_dir = ca_cert_dir and os.path.expanduser(ca_cert_dir)
        self.ca_cert_data = ca_cert_data

    def connect(self) -> None:
        """Open the TCP connection and complete the TLS handshake.

        With a tunnel set, CONNECT through the proxy first (over TLS to an
        https proxy, the origin's TLS then running inside the proxy's); the
        origin's certificate is checked against the tunnel's host.
        """
        sock = self._new_conn()
        server_hostname = self.host
        tls_in_tls = False
        try:
            if self._tunnel_host is not None:
                if self._tunnel_scheme == "https":
                    sock = self._connect_tls_proxy(self.host, sock)
                    tls_in_tls = True
                else:
                    self.proxy_is_verified = False
                self._has_connected_to_proxy = True
                self._tunnel(sock)
                server_hostname = self._tunnel_host
            elif self.proxy is not None and self.proxy.scheme == "https":
                # Forwarding through an https proxy: this TLS session is
                # with the proxy, and the only one.  The proxy's policy
                # (proxy_ssl_context, proxy_assert_*) applies, never the
                # origin's name checks or client certificate (urllib3 2.8's
                # fix); this connection's ssl_context is only a fallback.
                self._attach(self._connect_tls_proxy(self.host, sock))
                self.is_verified = False
                self._has_connected_to_proxy = True
                return
        except BaseException:
            sock.close()
            raise
        if self.server_hostname is not None:
            server_hostname = self.server_hostname
        if datetime.date.today() < RECENT_DATE:
            warnings.warn(
                f"System time is way off (before {RECENT_DATE}). This will probably lead to SSL verification errors",
                SystemTimeWarning,
            )
        try:
            tls_sock, verified = self._wrap_tls(sock, server_hostname, to_proxy=False, tls_in_tls=tls_in_tls)
        except BaseException:
            sock.close()
            raise
        stamps = self._t_conn
        if stamps is not None:
            self._t_conn = (stamps[0], stamps[1], stamps[2], _now())
        self._attach(tls_sock)
        # A forwarding proxy sees the plaintext: never call that verified.
        self.is_verified = False if self.proxy_is_forwarding else verified
        self._has_connected_to_proxy = bool(self.proxy)
        if self._has_connected_to_proxy and self.proxy_is_verified is None:
            self.proxy_is_verified = verified

    def _connect_tls_proxy(self, hostname: str, sock: typing.Any) -> typing.Any:
        """TLS to an https proxy (see :meth:`_wrap_tls`); sets
        :attr:`proxy_is_verified`."""
        tls_sock, verified = self._wrap_tls(sock, hostname, to_proxy=True)
        self.proxy_is_verified = verified
        return tls_sock

    def _wrap_tls(
        self, sock: typing.Any, hostname: str, *, to_proxy: bool, tls_in_tls: bool = False
    ) -> tuple[typing.Any, bool]:
        """TLS over ``sock`` with this connection's CA, verification and TLS
        version settings; return (TLS socket, whether the peer is verified).

        To the origin: this connection's client certificate, ``ssl_context``
        and hostname or fingerprint checks.  To an https proxy
        (``to_proxy``): the ProxyManager's ``proxy_ssl_context``,
        ``proxy_assert_hostname`` and ``proxy_assert_fingerprint``, and no
        client certificate.
        """
        cert_reqs: typing.Any = self.cert_reqs
        ca_certs, ca_cert_dir, ca_cert_data = self.ca_certs, self.ca_cert_dir, self.ca_cert_data
        ssl_version, ssl_minimum_version, ssl_maximum_version = (
            self.ssl_version,
            self.ssl_minimum_version,
            self.ssl_maximum_version,
        )
        if to_proxy:
            proxy_config = self.proxy_config
            cert_file = key_file = key_password = None
            ssl_context = proxy_config.ssl_context if proxy_config is not None else None
            assert_hostname = proxy_config.assert_hostname if proxy_config is not None else None
            assert_fingerprint = proxy_config.assert_fingerprint if proxy_config is not None else None
            if ssl_context is not None:
                # The proxy's own policy, whole: its context is used as it is
                # (urllib3 2.8), never changed by this connection's settings.
                cert_reqs = ssl_context.verify_mode
                ca_certs = ca_cert_dir = ca_cert_data = None
                ssl_version = ssl_minimum_version = ssl_maximum_version = None
            elif self._tunnel_host is None:
                # Forwarding: the connection's ssl_context is the fallback.
                ssl_context = self.ssl_context
        else:
            cert_file, key_file, key_password = self.cert_file, self.key_file, self.key_password
            ssl_context = self.ssl_context
            assert_hostname, assert_fingerprint = self.assert_hostname, self.assert_fingerprint
        return _ssl_wrap_socket_and_match_hostname(
            sock,
            cert_reqs=cert_reqs,
            ssl_version=ssl_version,
            ssl_minimum_version=ssl_minimum_version,
            ssl_maximum_version=ssl_maximum_version,
            ca_certs=ca_certs,
            ca_cert_dir=ca_cert_dir,
            ca_cert_data=ca_cert_data,
            cert_file=cert_file,
            key_file=key_file,
            key_password=key_password,
            server_hostname=hostname.rstrip("."),
            ssl_context=ssl_context,
            assert_hostname=assert_hostname,
            assert_fingerprint=assert_fingerprint,
            tls_in_tls=tls_in_tls,
        )


def _load_default_trust(context: typing.Any) -> None:
    # certifi's bundle when installed (what most users of urllib3 get through
    # requests), else the operating system's store.
    try:
        import certifi
    except ImportError:
        context.load_default_certs()
    else:
        context.load_verify_locations(cafile=certifi.where())


def _ssl_wrap_socket_and_match_hostname(
    sock: socket.socket,
    *,
    cert_reqs: None | str | int,
    ssl_version: None | str | int,
    ssl_minimum_version: int | None,
    ssl_maximum_version: int | None,
    cert_file: str | None,
    key_file: str | None,
    key_password: str | None,
    ca_certs: str | None,
    ca_cert_dir: str | None,
    ca_cert_data: None | str | bytes,
    assert_hostname: None | str | typing.Literal[False],
    assert_fingerprint: str | None,
    server_hostname: str | None,
    ssl_context: typing.Any,
    tls_in_tls: bool = False,
) -> tuple[typing.Any, bool]:
    """Build (or adopt) the SSLContext, wrap the socket, and check the peer's
    identity: by fingerprint, by an asserted host name, or by OpenSSL's own
    host name check. Returns (TLS socket, verified). With ``tls_in_tls``
    the socket is itself a TLS socket (to an https proxy) and the new
    session runs inside it."""
    default_context = ssl_context is None
    if default_context:
        context = _ssl_util.create_urllib3_context(
            ssl_version=_ssl_util.resolve_ssl_version(ssl_version),
            ssl_minimum_version=ssl_minimum_version,
            ssl_maximum_version=ssl_maximum_version,
            cert_reqs=_ssl_util.resolve_cert_reqs(cert_reqs),
        )
    else:
        context = ssl_context
    context.verify_mode = _ssl_util.resolve_cert_reqs(cert_reqs)

    # OpenSSL checks the SNI name itself; a fingerprint or a different
    # asserted name is checked here after the handshake instead.
    if assert_fingerprint or assert_hostname or assert_hostname is False:
        context.check_hostname = False

    if not ca_certs and not ca_cert_dir and not ca_cert_data and default_context:
        _load_default_trust(context)

    # Scoped IPv6 literals and bracketed forms are not valid SNI names.
    if server_hostname is not None:
        normalized = server_hostname.strip("[]")
        if "%" in normalized:
            normalized = normalized[: normalized.rfind("%")]
        if _ssl_util.is_ipaddress(normalized):
            server_hostname = normalized

    tls_sock = _ssl_util.ssl_wrap_socket(
        sock=sock,
        keyfile=key_file,
        certfile=cert_file,
        key_password=key_password,
        ca_certs=ca_certs,
        ca_cert_dir=ca_cert_dir,
        ca_cert_data=ca_cert_data,
        server_hostname=server_hostname,
        ssl_context=context,
        tls_in_tls=tls_in_tls,
    )
    try:
        if assert_fingerprint:
            _ssl_util.assert_fingerprint(tls_sock.getpeercert(binary_form=True), assert_fingerprint)
        elif context.verify_mode != ssl.CERT_NONE and not context.check_hostname and assert_hostname is not False:
            cert = tls_sock.getpeercert()
            _match_hostname(cert, typing.cast(str, assert_hostname or server_hostname), default_context, context)
        return tls_sock, context.verify_mode == ssl.CERT_REQUIRED or bool(assert_fingerprint)
    except BaseException:
        tls_sock.close()
        raise


def _match_hostname(cert: typing.Any, hostname: str, default_context: bool, context: typing.Any) -> None:
    stripped = hostname.strip("[]")
    if _ssl_util.is_ipaddress(stripped):
        hostname = stripped
    # Our own context never falls back to commonName (RFC 6125 §6.4.4);
    # a caller's context decides for itself.
    common_name = False if default_context else bool(getattr(context, "hostname_checks_common_name", False))
    try:
        match_hostname(cert, hostname, common_name)
    except CertificateError as e:
        log.warning("Certificate did not match expected hostname: %s. Certificate: %s", hostname, cert)
        e._peer_cert = cert  # type: ignore[attr-defined]
        raise


# OpenSSL's words for "the peer doesn't speak TLS": an https:// proxy URL
# pointing at a plain-HTTP proxy.
_PLAIN_HTTP_PROXY_HINTS = ("wrong version number", "unknown protocol", "record layer failure")

# Bytes asked of the socket per read of a CONNECT response head; the head
# itself is bounded by the wire layer's max_head_size.
_CONNECT_RECV_SIZE = 65536


def _wrap_proxy_error(err: Exception, proxy_scheme: str | None) -> ProxyError:
    """Wrap an error met while reaching a proxy in :class:`ProxyError`
    (the original error is its ``original_error`` and ``__cause__``); when
    TLS to an https proxy failed the way plain HTTP makes it fail, say so."""
    message = "Unable to connect to proxy"
    if proxy_scheme == "https":
        words = " ".join("".join(c if "a" <= c <= "z" else " " for c in str(err).lower()).split())
        if any(hint in words for hint in _PLAIN_HTTP_PROXY_HINTS):
            message += (
                ". Your proxy appears to only use HTTP and not HTTPS, "
                "try changing your proxy URL to be HTTP. See: "
                "https://urllib3.readthedocs.io/en/latest/advanced-usage.html"
                "#https-proxy-error-http-proxy"
            )
    new_err = ProxyError(message, err)
    new_err.__cause__ = err
    return new_err


def _read_connect_response(sock: typing.Any, debuglevel: int = 0) -> tuple[int, str]:
    """Read the proxy's response head to CONNECT; returns (status, reason).

    Parsed by the wire layer's HeadParser, with its limits: a malformed head
    raises its :class:`~pool.exceptions.ResponseHeadError`, and the proxy
    closing first :class:`~pool.exceptions.RemoteDisconnected` (both
    ProtocolErrors, where urllib3 raises http.client's errors that it
    reports as ProtocolError). After a 2xx the stream belongs to the origin,
    whose first bytes can only answer ours: a proxy that sends more than the
    head is refused with a ProtocolError.
    """
    parser = HeadParser()
    received = 0
    # Ends: each read adds at least one byte (or raises on EOF/timeout), and
    # the parser raises once max_head_size bytes came without a full head.
    while True:
        data = sock.recv(_CONNECT_RECV_SIZE)
        if not data:
            raise RemoteDisconnected("Proxy closed the connection without a response to CONNECT")
        received += len(data)
        used = parser.feed(data)
        if used:
            break
    status = typing.cast(int, parser.status)
    if debuglevel > 0:
        # What http.client prints for the tunnel's response with debuglevel.
        for name, value in parser.headers or ():
            print("header:", f"{name}: {value}\r\n")
    if 200 <= status < 300 and received > used:
        raise ProtocolError(f"Proxy sent {received - used} bytes after its {status} response to CONNECT")
    return status, typing.cast(str, parser.reason)


class DummyConnection:
    """Used to detect a failed ConnectionCls import."""


VerifiedHTTPSConnection = HTTPSConnection

# pool's own versions of the hooks, as they were defined: what a class must
# still have to take pool's own request path.
_OWN_HOOKS: dict[str, typing.Any] = {name: getattr(HTTPConnection, name) for name in _SEND_HOOKS}


def _url_from_connection(conn: HTTPConnection, path: str | None = None) -> str:
    """The URL of a connection and path, for logs and tests."""
    from .util.url import Url

    scheme = "https" if isinstance(conn, HTTPSConnection) else "http"
    return Url(scheme=scheme, host=conn.host, port=conn.port, path=path).url


# Bound lazily: pool.response imports this module.
_HTTPResponse: typing.Any = None
_HTTPHeaderDict: typing.Any = None


def _bind_late() -> None:
    global _HTTPResponse, _HTTPHeaderDict
    from ._collections import HTTPHeaderDict
    from .response import HTTPResponse

    _HTTPResponse = HTTPResponse
    _HTTPHeaderDict = HTTPHeaderDict

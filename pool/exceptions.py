"""The exception tree of pool: urllib3 2.x's names and bases, plus a few
specific subclasses for the wire layer.

Every class urllib3 2.x exports from ``urllib3.exceptions`` is here with the
same bases, so ``except urllib3.exceptions.X`` code keeps working after
``pool.install_as_urllib3()``.  pool adds narrower subclasses where it is
stricter than urllib3 (malformed response heads, limits, framing); each of
them derives from the urllib3 class a caller would already catch, usually
:class:`ProtocolError`.
"""

from __future__ import annotations

import socket
import typing
import warnings
from http.client import IncompleteRead as _httplib_IncompleteRead

if typing.TYPE_CHECKING:  # pragma: no cover
    from .connection import HTTPConnection
    from .connectionpool import ConnectionPool
    from .response import HTTPResponse
    from .util.retry import Retry

_TYPE_REDUCE_RESULT = typing.Tuple[typing.Callable[..., object], typing.Tuple[object, ...]]


class HTTPError(Exception):
    """Base exception used by this module."""


class HTTPWarning(Warning):
    """Base warning used by this module."""


class PoolError(HTTPError):
    """Base exception for errors caused within a pool."""

    def __init__(self, pool: ConnectionPool, message: str) -> None:
        self.pool = pool
        self._message = message
        super().__init__(f"{pool}: {message}")

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        # The pool holds sockets and locks: pickle without it.
        return self.__class__, (None, self._message)


class RequestError(PoolError):
    """Base exception for PoolErrors that have associated URLs."""

    def __init__(self, pool: ConnectionPool, url: str | None, message: str) -> None:
        self.url = url
        super().__init__(pool, message)

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (None, self.url, self._message)


class SSLError(HTTPError):
    """Raised when SSL certificate fails in an HTTPS connection."""


class ProxyError(HTTPError):
    """Raised when the connection to a proxy fails."""

    # The original error is also available as __cause__.
    original_error: Exception

    def __init__(self, message: str, error: Exception) -> None:
        super().__init__(message, error)
        self.original_error = error


class DecodeError(HTTPError):
    """Raised when automatic decoding based on Content-Type fails."""


class ProtocolError(HTTPError):
    """Raised when something unexpected happens mid-request/response."""


#: Renamed to ProtocolError but aliased for backwards compatibility.
ConnectionError = ProtocolError


class MaxRetryError(RequestError):
    """Raised when the maximum number of retries is exceeded.

    :param pool: The connection pool
    :param url: The requested URL
    :param reason: The underlying error
    """

    def __init__(self, pool: ConnectionPool, url: str | None, reason: Exception | None = None) -> None:
        self.reason = reason
        message = f"Max retries exceeded with url: {url} (Caused by {reason!r})"
        super().__init__(pool, url, message)

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (None, self.url, self.reason)


class HostChangedError(RequestError):
    """Raised when an existing pool gets a request for a foreign host."""

    def __init__(self, pool: ConnectionPool, url: str, retries: Retry | int = 3) -> None:
        message = f"Tried to open a foreign host with url: {url}"
        super().__init__(pool, url, message)
        self.retries = retries

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (None, self.url, self.retries)


class TimeoutStateError(HTTPError):
    """Raised when passing an invalid state to a timeout."""


class TimeoutError(HTTPError):
    """Raised when a socket timeout error occurs.

    Catching this error will catch both :exc:`ReadTimeoutErrors
    <ReadTimeoutError>` and :exc:`ConnectTimeoutErrors <ConnectTimeoutError>`.
    """


class ReadTimeoutError(TimeoutError, RequestError):
    """Raised when a socket timeout occurs while receiving data from a server."""


# This timeout error does not have a URL attached and needs to inherit from the
# base HTTPError
class ConnectTimeoutError(TimeoutError):
    """Raised when a socket timeout occurs while connecting to a server."""


class NewConnectionError(ConnectTimeoutError, HTTPError):
    """Raised when we fail to establish a new connection. Usually ECONNREFUSED."""

    def __init__(self, conn: HTTPConnection, message: str) -> None:
        self.conn = conn
        self._message = message
        super().__init__(f"{conn}: {message}")

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (None, self._message)

    @property
    def pool(self) -> HTTPConnection:
        """Deprecated alias of :attr:`conn`, kept as urllib3 keeps it."""
        warnings.warn(
            "The 'pool' property is deprecated and will be removed in urllib3 v3.0. Use 'conn' instead.",
            FutureWarning,
            stacklevel=2,
        )
        return self.conn


class NameResolutionError(NewConnectionError):
    """Raised when host name resolution fails."""

    def __init__(self, host: str, conn: HTTPConnection, reason: socket.gaierror) -> None:
        self.host = host
        self.reason = reason
        message = f"Failed to resolve '{host}' ({reason})"
        super().__init__(conn, message)

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (self.host, None, self.reason)


class EmptyPoolError(PoolError):
    """Raised when a pool runs out of connections and no more are allowed."""


class FullPoolError(PoolError):
    """Raised when we try to add a connection to a full pool in blocking mode."""


class ClosedPoolError(PoolError):
    """Raised when a request enters a pool after the pool has been closed."""


class LocationValueError(ValueError, HTTPError):
    """Raised when there is something wrong with a given URL input."""


class LocationParseError(LocationValueError):
    """Raised when get_host or similar fails to parse the URL input."""

    def __init__(self, location: str) -> None:
        message = f"Failed to parse: {location}"
        super().__init__(message)
        self.location = location

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (self.location,)


class URLSchemeUnknown(LocationValueError):
    """Raised when a URL input has an unsupported scheme."""

    def __init__(self, scheme: str) -> None:
        message = f"Not supported URL scheme {scheme}"
        super().__init__(message)
        self.scheme = scheme

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (self.scheme,)


class ResponseError(HTTPError):
    """Used as a container for an error reason supplied in a MaxRetryError."""

    GENERIC_ERROR = "too many error responses"
    SPECIFIC_ERROR = "too many {status_code} error responses"


class SecurityWarning(HTTPWarning):
    """Warned when performing security reducing actions"""


class InsecureRequestWarning(SecurityWarning):
    """Warned when making an unverified HTTPS request."""


class NotOpenSSLWarning(SecurityWarning):
    """Warned when using unsupported SSL library"""


class SystemTimeWarning(SecurityWarning):
    """Warned when system time is suspected to be wrong"""


class InsecurePlatformWarning(SecurityWarning):
    """Warned when certain TLS/SSL configuration is not available on a platform."""


class DependencyWarning(HTTPWarning):
    """Warned when an attempt is made to import a module with missing optional
    dependencies.
    """


class ResponseNotChunked(ProtocolError, ValueError):
    """Response needs to be chunked in order to read it as chunks."""


class BodyNotHttplibCompatible(HTTPError):
    """Body should be :class:`http.client.HTTPResponse` like
    (have an fp attribute which returns raw chunks) for read_chunked().
    """


class IncompleteRead(HTTPError, _httplib_IncompleteRead):
    """Response length doesn't match expected Content-Length.

    Subclass of :class:`http.client.IncompleteRead` to allow int value
    for ``partial`` to avoid creating large objects on streamed reads.
    """

    partial: int  # type: ignore[assignment]
    expected: int

    def __init__(self, partial: int, expected: int) -> None:
        self.partial = partial
        self.expected = expected

    def __repr__(self) -> str:
        return f"IncompleteRead({self.partial} bytes read, {self.expected} more expected)"

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (self.partial, self.expected)


class InvalidChunkLength(HTTPError, _httplib_IncompleteRead):
    """Invalid chunk length in a chunked response."""

    def __init__(self, response: HTTPResponse | None, length: bytes) -> None:
        self.partial: int = response.tell() if response is not None else 0  # type: ignore[assignment]
        self.expected: int | None = response.length_remaining if response is not None else None
        self.response = response
        self.length = length

    def __repr__(self) -> str:
        return f"InvalidChunkLength(got length {self.length!r}, {self.partial} bytes read)"

    def __reduce__(self) -> typing.Any:
        # The response is not pickled; what was read and expected is.
        return self.__class__, (None, self.length), {"partial": self.partial, "expected": self.expected}


class InvalidHeader(HTTPError):
    """The header provided was somehow invalid."""


class ProxySchemeUnknown(AssertionError, URLSchemeUnknown):
    """ProxyManager does not support the supplied scheme"""

    def __init__(self, scheme: str | None) -> None:
        # "localhost:8080" parses with scheme "localhost": report it as missing.
        if scheme == "localhost":
            scheme = None
        if scheme is None:
            message = "Proxy URL had no scheme, should start with http:// or https://"
        else:
            message = f"Proxy URL had unsupported scheme {scheme}, should use http:// or https://"
        # Bypass URLSchemeUnknown.__init__, whose message would replace ours.
        LocationValueError.__init__(self, message)
        self.scheme = scheme  # type: ignore[assignment]

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (self.scheme,)


class ProxySchemeUnsupported(ValueError):
    """Fetching HTTPS resources through HTTPS proxies is unsupported"""


class HeaderParsingError(HTTPError):
    """Raised by assert_header_parsing, but we convert it to a log.warning statement."""

    def __init__(self, defects: list[object], unparsed_data: bytes | str | None) -> None:
        message = f"{defects or 'Unknown'}, unparsed data: {unparsed_data!r}"
        super().__init__(message)
        self.defects = defects
        self.unparsed_data = unparsed_data

    def __reduce__(self) -> _TYPE_REDUCE_RESULT:
        return self.__class__, (self.defects, self.unparsed_data)


class UnrewindableBodyError(HTTPError):
    """urllib3 encountered an error when trying to rewind a body"""


# --------------------------------------------------------------------------
# pool's own, narrower classes.  Each derives from the urllib3 class a caller
# already catches, so stricter parsing never surprises an ``except`` clause.
# The wire layer (C and Python alike) raises exactly these; one function in
# each implementation maps parser error codes to them.
# --------------------------------------------------------------------------


class ResponseHeadError(ProtocolError):
    """The response head (status line and header fields) is malformed.

    Base of the specific head errors below; raised by the wire layer before any
    byte of the body is handed to the caller.  The connection is never reused.
    """


class InvalidStatusLine(ResponseHeadError):
    """The status line is not ``HTTP/1.x DDD reason`` (RFC 9112 §4)."""


class InvalidResponseHeader(ResponseHeadError):
    """A header field line is malformed (RFC 9112 §5): no colon, an empty or
    non-token name, whitespace before the colon, obs-fold, or a control byte
    (NUL, bare CR, ...) in a name or value."""


class ResponseHeadTooLarge(ResponseHeadError):
    """The response head exceeds ``max_head_size`` bytes."""


class TooManyResponseHeaders(ResponseHeadError):
    """The response head has more than ``max_headers`` header fields."""


class TooManyInterimResponses(ResponseHeadError):
    """More 1xx interim responses arrived than ``max_interim_responses``."""


class UnexpectedProtocolSwitch(ProtocolError):
    """The server answered ``101 Switching Protocols`` to a request that asked
    for no protocol upgrade (no ``Upgrade`` header field).  RFC 9110 §15.2.2
    lets a server switch only to a protocol the client offered; what follows
    on the connection is no longer HTTP/1.1, so the connection is closed,
    never reused.  (urllib3 returns such an answer as a final response with
    an empty body.)"""


class InvalidFraming(ProtocolError):
    """The message framing is ambiguous or invalid (RFC 9112 §6): a
    Content-Length together with Transfer-Encoding, chunked applied twice or
    not last in an HTTP/1.1 response, and the like."""


class InvalidContentLength(InvalidHeader):
    """A Content-Length value is not a plain decimal number, overflows, or
    differs between fields (RFC 9110 §8.6).

    An :class:`InvalidHeader`, the class urllib3 raises for differing values
    (requests maps it to its own InvalidHeader), not a ProtocolError: like
    urllib3's, it is raised as is, never retried."""


class InvalidChunkedEncoding(ProtocolError):
    """A chunked body is malformed (RFC 9112 §7.1): a chunk size that is not
    plain hex or overflows, junk after chunk data, a bad trailer line."""


class ChunkLineTooLong(InvalidChunkedEncoding):
    """A chunk-size line (with its extensions) exceeds ``max_chunk_line``."""


class TrailersTooLarge(InvalidChunkedEncoding):
    """The trailer section exceeds ``max_trailer_size`` bytes."""


class RemoteDisconnected(ProtocolError, ConnectionResetError):
    """The server closed the connection before sending any byte of a response.

    Also a :class:`ConnectionResetError`, as :class:`http.client.RemoteDisconnected`
    is, so code catching either keeps working.
    """


class InvalidRequest(ValueError, HTTPError):
    """Base of request-side refusals: raised before any byte is sent."""


class InvalidMethod(InvalidRequest):
    """The request method is empty or has a character that isn't a token char."""


class InvalidRequestTarget(InvalidRequest, LocationValueError):
    """The request target has a space, control byte or non-ASCII byte."""


class InvalidRequestHeader(InvalidRequest, InvalidHeader):
    """A request header name isn't a token, or a value holds CR, LF, NUL or
    another control byte."""


class InvalidBodyFraming(InvalidRequest):
    """A user-set Content-Length or Transfer-Encoding disagrees with the body."""

"""Opening TCP connections, and telling whether an idle one was dropped.

:func:`create_connection` is :func:`socket.create_connection` plus socket
options applied before connecting, and it skips IPv6 addresses on hosts that
cannot use IPv6 (a resolver may return AAAA records anyway).
"""

from __future__ import annotations

import socket
import typing

from ..exceptions import LocationParseError
from .timeout import _DEFAULT_TIMEOUT, _TYPE_TIMEOUT
from .wait import wait_for_read

__all__ = ["HAS_IPV6", "allowed_gai_family", "create_connection", "is_connection_dropped"]

_TYPE_SOCKET_OPTIONS = typing.List[typing.Tuple[int, int, typing.Union[int, bytes]]]


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
) -> socket.socket:
    """Connect to *address* ``(host, port)`` and return the socket.

    Every address the resolver returns is tried in order; the last error is
    raised if none connects.

    :param timeout: set on the socket before connecting (and kept for later
        operations); the default sentinel leaves the global default.
    :param source_address: ``(host, port)`` to bind before connecting; ``""``
        or 0 let the OS choose.
    :param socket_options: ``(level, option, value)`` triples applied with
        ``setsockopt`` before connecting.
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

    err: OSError | None = None
    for family, socktype, proto, _canonname, sockaddr in socket.getaddrinfo(
        host, port, allowed_gai_family(), socket.SOCK_STREAM
    ):
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

"""Wait until a socket is readable or writable, with a timeout.

Waiting on one socket at a time is what the pool does, so a stateless poll()
is the cheapest primitive (no epoll object to create and close); select() is
the fallback where poll() is missing or broken (Windows, some monkeypatched
environments).  poll() also has no FD_SETSIZE limit, which matters for
processes with many open files.
"""

from __future__ import annotations

import select
import socket
import typing

__all__ = ["wait_for_read", "wait_for_write"]


def _select_wait(sock: typing.Any, read: bool = False, write: bool = False, timeout: float | None = None) -> bool:
    if not read and not write:
        raise RuntimeError("must specify at least one of read=True, write=True")
    rlist = [sock] if read else []
    wlist = [sock] if write else []
    # Windows reports a finished non-blocking connect as "exceptional", not
    # writable: watch the write sockets for both.
    r, w, x = select.select(rlist, wlist, wlist, timeout)
    return bool(r or w or x)


def _poll_wait(sock: typing.Any, read: bool = False, write: bool = False, timeout: float | None = None) -> bool:
    if not read and not write:
        raise RuntimeError("must specify at least one of read=True, write=True")
    mask = 0
    if read:
        mask |= select.POLLIN
    if write:
        mask |= select.POLLOUT
    poller = select.poll()
    poller.register(sock, mask)
    return bool(poller.poll(None if timeout is None else timeout * 1000))


def _poll_works() -> bool:
    try:
        select.poll().poll(0)
    except (AttributeError, OSError):
        return False
    return True


def wait_for_socket(  # noqa: F811 - rebinds itself on first use (below)
    sock: socket.socket, read: bool = False, write: bool = False, timeout: float | None = None
) -> bool:
    """Wait until *sock* is readable (*read*) and/or writable (*write*);
    ``True`` if it is, ``False`` if *timeout* seconds passed first
    (``None``: wait forever, 0: just check)."""
    # Chosen on first use rather than at import, so that a library patching
    # select after importing pool is still seen.
    global wait_for_socket
    if _poll_works():
        wait_for_socket = _poll_wait
    else:
        wait_for_socket = _select_wait
    return wait_for_socket(sock, read, write, timeout)


def wait_for_read(sock: socket.socket, timeout: float | None = None) -> bool:
    """Wait until *sock* is readable: ``True`` if it is (data, EOF or an
    error waiting to be read), ``False`` if *timeout* passed first."""
    return wait_for_socket(sock, read=True, timeout=timeout)


def wait_for_write(sock: socket.socket, timeout: float | None = None) -> bool:
    """Wait until *sock* is writable: ``True`` if it is, ``False`` if
    *timeout* passed first."""
    return wait_for_socket(sock, write=True, timeout=timeout)

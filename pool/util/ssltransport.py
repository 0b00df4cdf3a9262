"""TLS inside TLS: a socket-like object that runs a TLS session over another
TLS socket, for an https origin reached through a CONNECT tunnel (RFC 9110
§9.3.6) to an https proxy.

:meth:`ssl.SSLContext.wrap_socket` needs a real socket, and wrapping the
proxy's TLS socket that way would write the inner handshake straight to the
file descriptor, past the outer TLS layer. So the inner session is an
:class:`ssl.SSLObject` over two memory BIOs, and its records travel through
the outer socket's ``sendall``/``recv``.
"""

from __future__ import annotations

import io
import socket
import ssl
import typing

from ..exceptions import ProxySchemeUnsupported

__all__ = ["SSLTransport"]

# Bytes asked of the outer socket per read: one maximal TLS record.
_RECORD_SIZE = 16384 + 2048


class SSLTransport:
    """A TLS session over a socket-like object (usually another TLS socket).

    Offers the part of the :class:`ssl.SSLSocket` interface that pool's
    connections and response readers use: ``recv``, ``recv_into``,
    ``send``, ``sendall``, timeouts, ``fileno``, ``close`` and the
    certificate and cipher queries.
    """

    @staticmethod
    def _validate_ssl_context_for_tls_in_tls(ssl_context: typing.Any) -> None:
        """Refuse a context that can't run a session over memory BIOs."""
        if not hasattr(ssl_context, "wrap_bio"):
            raise ProxySchemeUnsupported(
                "TLS in TLS (an https origin through an https proxy) needs an "
                "SSLContext with wrap_bio(); the given context has none"
            )

    def __init__(
        self,
        socket: typing.Any,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        suppress_ragged_eofs: bool = True,
    ) -> None:
        self.socket = socket
        self.suppress_ragged_eofs = suppress_ragged_eofs
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.sslobj = ssl_context.wrap_bio(self.incoming, self.outgoing, server_hostname=server_hostname)
        self._closed = False
        self._io(self.sslobj.do_handshake)

    def __enter__(self) -> SSLTransport:
        return self

    def __exit__(self, *_: typing.Any) -> None:
        self.close()

    def fileno(self) -> int:
        """The outer socket's file descriptor (for poll/select)."""
        return int(self.socket.fileno())

    # ------------------------------------------------------------- reading

    def recv_into(self, buffer: typing.Any, nbytes: int | None = None, flags: int = 0) -> int:
        """Read up to ``nbytes`` (default: the buffer's size) decrypted bytes
        into ``buffer``; 0 at the end of the stream."""
        if flags != 0:
            raise ValueError("non-zero flags not allowed in calls to recv_into")
        if not nbytes:
            nbytes = len(buffer)
        return typing.cast(int, self._read(nbytes, buffer))

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        """Read up to ``buflen`` decrypted bytes; b"" at the end of the stream."""
        if flags != 0:
            raise ValueError("non-zero flags not allowed in calls to recv")
        return typing.cast(bytes, self._read(buflen, None))

    def read(self, len: int = 1024, buffer: typing.Any = None) -> int | bytes:
        """:meth:`ssl.SSLObject.read`'s signature: bytes, or a count with a buffer."""
        return self._read(len, buffer)

    def _read(self, n: int, buffer: typing.Any) -> int | bytes:
        if n <= 0:
            return 0 if buffer is not None else b""
        try:
            if buffer is None:
                return typing.cast(bytes, self._io(self.sslobj.read, n))
            return typing.cast(int, self._io(self.sslobj.read, n, buffer))
        except ssl.SSLZeroReturnError:
            # close_notify: a clean end of the stream.
            return 0 if buffer is not None else b""
        except ssl.SSLEOFError:
            # The outer stream ended without close_notify (RFC 8446 §6.1
            # calls that a truncation); the framing above decides whether
            # the body was complete, as for an ordinary TLS socket.
            if self.suppress_ragged_eofs:
                return 0 if buffer is not None else b""
            raise

    # ------------------------------------------------------------- writing

    def send(self, data: typing.Any, flags: int = 0) -> int:
        """Encrypt and send ``data``; returns the number of bytes taken."""
        if flags != 0:
            raise ValueError("non-zero flags not allowed in calls to send")
        return typing.cast(int, self._io(self.sslobj.write, data))

    def sendall(self, data: typing.Any, flags: int = 0) -> None:
        """Encrypt and send all of ``data``."""
        if flags != 0:
            raise ValueError("non-zero flags not allowed in calls to sendall")
        view = memoryview(data).cast("B")
        sent = 0
        total = len(view)
        while sent < total:
            # Each write takes at least one byte or raises, so this ends.
            sent += self.send(view[sent:])

    # ------------------------------------------------------------- the rest

    def settimeout(self, value: float | None) -> None:
        """Set the outer socket's timeout (it governs every blocking step)."""
        self.socket.settimeout(value)

    def gettimeout(self) -> float | None:
        """The outer socket's timeout."""
        return typing.cast("float | None", self.socket.gettimeout())

    def close(self) -> None:
        """Close the outer socket (no close_notify is sent on the inner session)."""
        self._closed = True
        self.socket.close()

    def unwrap(self) -> None:
        """Close the inner TLS session (close_notify both ways); the outer
        socket then carries plain bytes."""
        self._io(self.sslobj.unwrap)

    def makefile(
        self,
        mode: str = "r",
        buffering: int | None = None,
        *,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> typing.Any:
        """A file object over the inner TLS stream, as :meth:`socket.socket.makefile`
        gives one over a socket (http.client reads responses through it)."""
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
        writing = "w" in mode
        reading = "r" in mode or not writing
        raw = socket.SocketIO(self, ("r" if reading else "") + ("w" if writing else ""))  # type: ignore[arg-type]
        # The outer socket stays open until this file is closed too.
        self.socket._io_refs += 1
        if buffering is None or buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if "b" not in mode:
                raise ValueError("unbuffered streams must be binary")
            return raw
        buffered: typing.Any
        if reading and writing:
            buffered = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buffered = io.BufferedReader(raw, buffering)
        else:
            buffered = io.BufferedWriter(raw, buffering)
        if "b" in mode:
            return buffered
        text = io.TextIOWrapper(buffered, encoding, errors, newline)
        text.mode = mode  # type: ignore[misc]
        return text

    def _decref_socketios(self) -> None:
        # Called by a closed makefile() stream (SocketIO.close()).
        sock = self.socket
        if sock._io_refs > 0:
            sock._io_refs -= 1
        if sock._closed:
            sock.close()

    def getpeercert(self, binary_form: bool = False) -> typing.Any:
        """The origin's certificate, as :meth:`ssl.SSLSocket.getpeercert`."""
        return self.sslobj.getpeercert(binary_form)

    def version(self) -> str | None:
        """The inner session's TLS version."""
        return self.sslobj.version()

    def cipher(self) -> tuple[str, str, int] | None:
        """The inner session's cipher."""
        return self.sslobj.cipher()

    def selected_alpn_protocol(self) -> str | None:
        """The ALPN protocol the origin chose, if any."""
        return self.sslobj.selected_alpn_protocol()

    def shared_ciphers(self) -> list[tuple[str, str, int]] | None:
        """Ciphers both sides offered."""
        return self.sslobj.shared_ciphers()

    def compression(self) -> str | None:
        """The compression in use (always None with modern OpenSSL)."""
        return self.sslobj.compression()

    def pending(self) -> int:
        """Decrypted bytes ready to read without touching the socket."""
        return self.sslobj.pending()

    # ------------------------------------------------------------- engine

    def _io(self, func: typing.Callable[..., typing.Any], *args: typing.Any) -> typing.Any:
        # Run one SSLObject operation to completion: flush what it wrote,
        # and feed it records from the outer socket while it wants more.
        # Every turn either finishes, or sends, or reads from the socket
        # (bounded by the socket's timeout); EOF ends it with an SSLError.
        while True:
            want = None
            try:
                result = func(*args)
            except ssl.SSLError as e:
                if e.errno not in (ssl.SSL_ERROR_WANT_READ, ssl.SSL_ERROR_WANT_WRITE):
                    raise
                want = e.errno
            out = self.outgoing.read()
            if out:
                self.socket.sendall(out)
            if want is None:
                return result
            if want == ssl.SSL_ERROR_WANT_READ:
                data = self.socket.recv(_RECORD_SIZE)
                if data:
                    self.incoming.write(data)
                else:
                    self.incoming.write_eof()

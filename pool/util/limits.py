"""Size and count limits on what a server may make the client hold.

A :class:`Limits` travels from :class:`~pool.PoolManager` (``limits=``) or a
connection pool (its ``**conn_kw``) to each connection, which hands the wire
limits to its response Reader once per socket (RFC 9112 §2.2 lets a
recipient bound what it accepts; the defaults are those of the wire layer),
and the decompressed-size limit to the responses it reads.  A value is
frozen and hashable, so it can be part of a PoolManager's pool key: requests
with different limits never share a pool.
"""

from __future__ import annotations

import dataclasses
import sys

from .._wire import (
    DEFAULT_MAX_CHUNK_LINE,
    DEFAULT_MAX_HEAD_SIZE,
    DEFAULT_MAX_HEADERS,
    DEFAULT_MAX_INTERIM,
    DEFAULT_MAX_TRAILER_SIZE,
)

__all__ = ["DEFAULT_LIMITS", "Limits"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """Limits applied to every response read on a connection.

    Every field is a positive int; a wrong type raises TypeError, zero,
    a negative value or one above ``sys.maxsize`` ValueError.  Exceeding a
    limit raises the exception named for the field; the connection is then
    closed, never reused.

    Pass one to a pool manager or a pool, e.g.
    ``PoolManager(limits=Limits(max_head_size=256 * 1024))``; pools with
    different limits are different pools.
    """

    #: Bytes of one response head: status line, header lines and the blank
    #: line (:class:`~pool.exceptions.ResponseHeadTooLarge`).  64 KiB:
    #: http.client caps one line at 64 KiB, nginx's largest default header
    #: buffers are 4 x 8 KiB and h11 uses 16 KiB; real responses with large
    #: Set-Cookie or Content-Security-Policy fields reach tens of KiB.  The
    #: head is refused as soon as this many bytes are buffered without its end.
    max_head_size: int = DEFAULT_MAX_HEAD_SIZE

    #: Header fields in one response head
    #: (:class:`~pool.exceptions.TooManyResponseHeaders`).  100, as
    #: http.client's ``_MAXHEADERS``.
    max_headers: int = DEFAULT_MAX_HEADERS

    #: Bytes of one chunk-size line, extensions and line ending included
    #: (:class:`~pool.exceptions.ChunkLineTooLong`, RFC 9112 §7.1).  4 KiB:
    #: a size takes at most 16 hex digits and chunk extensions are hardly
    #: used, so this leaves room for them and stops a server that drips an
    #: endless size line.
    max_chunk_line: int = DEFAULT_MAX_CHUNK_LINE

    #: Bytes of the trailer section after the last chunk
    #: (:class:`~pool.exceptions.TrailersTooLarge`, RFC 9112 §7.1.2).
    #: 64 KiB, the same budget as a head.  Trailers are read and discarded.
    max_trailer_size: int = DEFAULT_MAX_TRAILER_SIZE

    #: Interim (1xx other than 101) responses skipped before the final one
    #: (:class:`~pool.exceptions.TooManyInterimResponses`, RFC 9110 §15.2).
    #: 32: a real server sends one or two (100 Continue, 103 Early Hints); an
    #: endless stream of them is an attack.
    max_interim_responses: int = DEFAULT_MAX_INTERIM

    #: Decoded bytes of a body read whole and decoded (``read()`` without an
    #: amount, ``.data``, ``preload_content=True``): past it the read raises
    #: :class:`~pool.exceptions.DecodeError` before more is decoded, so a
    #: decompression bomb costs at most about this much memory.  1 GiB: far
    #: above any body a client means to hold in one object, far below what a
    #: few kilobytes of gzip or brotli can inflate to.  Streaming reads
    #: (``read(amt)``, ``stream()``, ``read_chunked()``) return at most their
    #: amount per call and are not limited in total; bodies without a content
    #: coding are bounded by their framing alone.
    max_decompressed_size: int = 1 << 30

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, int) or isinstance(value, bool):
                # bool is an int, but True as a size is a mistake.
                raise TypeError(f"Limits.{field.name} must be an int, got {type(value).__name__}")
            if not 0 < value <= sys.maxsize:
                raise ValueError(f"Limits.{field.name} must be between 1 and {sys.maxsize}, got {value}")


#: The limits a connection uses when none are given.
DEFAULT_LIMITS = Limits()

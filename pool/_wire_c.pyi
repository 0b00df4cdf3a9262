"""Types of the compiled wire core (built from csrc/_wire_c.pyx).

Same names and signatures as the pure-Python twin ``pool._wire_py``; the
contract both follow is docs/wire.md.
"""

from typing import Any, Final, Iterable, Mapping, Protocol, Tuple, Union, final

__all__ = [
    "DEFAULT_MAX_HEAD_SIZE",
    "DEFAULT_MAX_HEADERS",
    "DEFAULT_MAX_CHUNK_LINE",
    "DEFAULT_MAX_TRAILER_SIZE",
    "DEFAULT_MAX_INTERIM",
    "FRAMING_NONE",
    "FRAMING_LENGTH",
    "FRAMING_CHUNKED",
    "FRAMING_CLOSE",
    "HeadParser",
    "ChunkedDecoder",
    "Reader",
    "serialize_request",
]

DEFAULT_MAX_HEAD_SIZE: Final[int]
DEFAULT_MAX_HEADERS: Final[int]
DEFAULT_MAX_CHUNK_LINE: Final[int]
DEFAULT_MAX_TRAILER_SIZE: Final[int]
DEFAULT_MAX_INTERIM: Final[int]
FRAMING_NONE: Final[int]
FRAMING_LENGTH: Final[int]
FRAMING_CHUNKED: Final[int]
FRAMING_CLOSE: Final[int]

_Buffer = Union[bytes, bytearray, memoryview]
_HeaderPart = Union[str, bytes]
_Headers = Union[Mapping[Any, Any], Iterable[Tuple[_HeaderPart, Union[_HeaderPart, int]]]]

class _SocketLike(Protocol):
    def recv_into(self, buffer: Any, nbytes: int = ..., /) -> int: ...
    def settimeout(self, value: float | None, /) -> None: ...

@final
class HeadParser:
    """Sans-IO parser for one response head."""

    @property
    def version(self) -> int | None: ...
    @property
    def status(self) -> int | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def headers(self) -> list[tuple[str, str]] | None: ...
    @property
    def content_length(self) -> int | None: ...
    def __init__(self, max_head_size: int = ..., max_headers: int = ...) -> None: ...
    def feed(self, data: _Buffer) -> int: ...
    def framing(self, request_was_head: bool = False) -> tuple[int, bool]: ...

@final
class ChunkedDecoder:
    """Sans-IO decoder of a chunked body."""

    @property
    def done(self) -> bool: ...
    @property
    def unused(self) -> bytes: ...
    def __init__(self, max_line: int = ..., max_trailer_size: int = ...) -> None: ...
    def feed(self, data: _Buffer) -> bytes: ...

def serialize_request(method: _HeaderPart, target: _HeaderPart, headers: _Headers) -> bytes: ...

@final
class Reader:
    """Reads responses from one connection: heads, framing and bodies."""

    sock: _SocketLike
    read_timeout: float | None
    deadline: float | None
    enforce_content_length: bool
    def __init__(
        self,
        sock: _SocketLike,
        *,
        max_head_size: int = ...,
        max_headers: int = ...,
        max_chunk_line: int = ...,
        max_trailer_size: int = ...,
        max_interim: int = ...,
        bufsize: int = 65536,
        enforce_content_length: bool = True,
    ) -> None: ...
    def read_head(self, request_was_head: bool = False) -> tuple[int, int, str, list[tuple[str, str]]]: ...
    def read_response(
        self, request_was_head: bool = False, preload: bool = False
    ) -> tuple[int, int, str, dict[str, list[str]], bytes | None]: ...
    @property
    def framing(self) -> int: ...
    @property
    def will_close(self) -> bool: ...
    @property
    def length_remaining(self) -> int | None: ...
    @property
    def bytes_read(self) -> int: ...
    @property
    def complete(self) -> bool: ...
    @property
    def at_end(self) -> bool: ...
    @property
    def chunk_left(self) -> int | None: ...
    def detach(self) -> bytes: ...
    def read_chunk(self, amt: int | None = -1) -> bytes: ...
    @property
    def reusable(self) -> bool: ...
    @property
    def response_started(self) -> bool: ...
    def read(self, amt: int | None = -1) -> bytes: ...
    def read1(self, amt: int | None = -1) -> bytes: ...
    def readinto(self, buf: bytearray | memoryview) -> int: ...
    def drain(self, max_bytes: int) -> bool: ...

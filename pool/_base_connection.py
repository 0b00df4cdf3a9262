"""Types shared by the connection classes and the layers above them: the body
types a request accepts, proxy TLS settings, and what a pending response needs
to know about its request."""

from __future__ import annotations

import typing

_TYPE_BODY = typing.Union[bytes, typing.IO[typing.Any], typing.Iterable[typing.Union[bytes, str]], str]


class ProxyConfig(typing.NamedTuple):
    """TLS settings for the connection to an HTTPS proxy."""

    ssl_context: typing.Any
    use_forwarding_for_https: bool
    assert_hostname: None | str | typing.Literal[False]
    assert_fingerprint: str | None


class _ResponseOptions(typing.NamedTuple):
    """What the pending response needs to know about its request."""

    request_method: str
    request_url: str
    preload_content: bool
    decode_content: bool
    enforce_content_length: bool

"""Whether a request through a proxy needs a CONNECT tunnel (RFC 9110 §9.3.6)."""

from __future__ import annotations

import typing

from .url import Url

if typing.TYPE_CHECKING:  # pragma: no cover
    from .._base_connection import ProxyConfig

__all__ = ["connection_requires_http_tunnel"]


def connection_requires_http_tunnel(
    proxy_url: Url | None = None,
    proxy_config: ProxyConfig | None = None,
    destination_scheme: str | None = None,
) -> bool:
    """Whether to open an HTTP CONNECT tunnel through the proxy.

    No proxy: no tunnel.  http destinations are always forwarded.  https
    destinations are tunnelled, except through an https proxy whose
    *proxy_config* has ``use_forwarding_for_https`` set.

    :param proxy_url: the proxy's URL.
    :param proxy_config: the ProxyConfig of the pool manager.
    :param destination_scheme: scheme of the target ("http", "https", ...).
    """
    if proxy_url is None:
        return False
    if destination_scheme == "http":
        return False
    if proxy_url.scheme == "https" and proxy_config and proxy_config.use_forwarding_for_https:
        return False
    return True

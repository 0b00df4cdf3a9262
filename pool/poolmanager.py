"""PoolManager: one connection pool per origin (and per set of connection
settings), kept in an LRU, and redirects followed across hosts.

An origin is scheme, host and port (RFC 6454 §4; scheme and host compare
case-insensitively, RFC 3986 §6.2.2.1). Redirects follow RFC 9110 §15.4; the
Location reference is resolved against the request URL (RFC 3986 §5).
"""

from __future__ import annotations

import functools
import logging
import typing
import warnings
import weakref
from types import TracebackType
from urllib.parse import unquote

from . import _compiled
from ._base_connection import ProxyConfig
from ._cache import BoundedCache
from ._caps import _Limiter
from ._collections import RecentlyUsedContainer
from ._request_methods import RequestMethods
from .connectionpool import (
    _REDIRECT_STATUSES,
    HTTPConnectionPool,
    HTTPSConnectionPool,
    _Request,
    plan_redirect,
    port_by_scheme,
)
from .exceptions import (
    ClosedPoolError,
    LocationParseError,
    LocationValueError,
    ProxySchemeUnknown,
    URLSchemeUnknown,
)
from .util.limits import Limits
from .util.proxy import connection_requires_http_tunnel
from .util.request import make_headers, set_file_position
from .util.retry import Retry
from .util.timeout import Timeout
from .util.url import Url, _resolve_redirect, parse_url

if typing.TYPE_CHECKING:
    import ssl

    from .response import BaseHTTPResponse

__all__ = ["PoolManager", "ProxyManager", "proxy_from_url"]

log = logging.getLogger(__name__)

# warnings.warn(stacklevel=_CALLER) names the caller of the warning function,
# whether this module runs from source or compiled (pool/_compiled.py).
_CALLER = _compiled.caller_stacklevel(lambda: None)

SSL_KEYWORDS = (
    "key_file",
    "cert_file",
    "cert_reqs",
    "ca_certs",
    "ca_cert_data",
    "ssl_version",
    "ssl_minimum_version",
    "ssl_maximum_version",
    "ca_cert_dir",
    "ssl_context",
    "key_password",
    "server_hostname",
    "assert_hostname",
    "assert_fingerprint",
)
# Default value for `blocksize`, as urllib3.
_DEFAULT_BLOCKSIZE = 16384

# How many (scheme, host, port) -> PoolKey results each manager remembers.
_KEY_CACHE_MAX = 256

# Tries of a request whose pool was evicted (and closed) by another thread
# before the request could use it; each try looks the pool up again.
_CLOSED_POOL_ATTEMPTS = 3


class PoolKey(typing.NamedTuple):
    """Every keyword argument that could affect a pool or its connections.
    Two requests share a pool only if their keys are equal.

    Custom key schemes should include these fields at a minimum.
    """

    key_scheme: str
    key_host: str
    key_port: int | None
    key_timeout: Timeout | float | int | None
    key_retries: Retry | bool | int | None
    key_block: bool | None
    key_source_address: tuple[str, int] | None
    key_key_file: str | None
    key_key_password: str | None
    key_cert_file: str | None
    key_cert_reqs: str | None
    key_ca_certs: str | None
    key_ca_cert_data: str | bytes | None
    key_ssl_version: int | str | None
    key_ssl_minimum_version: ssl.TLSVersion | None
    key_ssl_maximum_version: ssl.TLSVersion | None
    key_ca_cert_dir: str | None
    key_ssl_context: ssl.SSLContext | None
    key_maxsize: int | None
    key_headers: frozenset[tuple[str, str]] | None
    key__proxy: Url | None
    key__proxy_headers: frozenset[tuple[str, str]] | None
    key__proxy_config: ProxyConfig | None
    key_socket_options: typing.Any
    key__socks_options: frozenset[tuple[str, str]] | None
    key_assert_hostname: bool | str | None
    key_assert_fingerprint: str | None
    key_server_hostname: str | None
    key_blocksize: int | None
    # pool's own pool knobs; defaulted so keys built with urllib3's fields
    # alone still construct.
    key_idle_timeout: float | None = None
    key_max_connection_age: float | None = None
    key_limits: Limits | None = None
    key_resolver: typing.Any = None
    key_resolve: frozenset[tuple[str, typing.Any]] | None = None
    key_happy_eyeballs: bool | float | None = None
    key_on_request_done: typing.Any = None


def _default_key_normalizer(key_class: type[PoolKey], request_context: dict[str, typing.Any]) -> PoolKey:
    """Create a pool key out of a request context dictionary.

    Scheme and host are lower-cased (RFC 3986 §6.2.2.1); dict-valued entries
    become frozensets and socket options a tuple so the key is hashable.

    :param key_class: The class to use when constructing the key (a
        namedtuple with ``key_scheme`` and ``key_host`` at a minimum).
    :param request_context: The context for a request (pool keyword
        arguments plus ``scheme``, ``host`` and ``port``).
    """
    context = request_context.copy()
    context["scheme"] = context["scheme"].lower()
    context["host"] = context["host"].lower()

    for key in ("headers", "_proxy_headers", "_socks_options"):
        if key in context and context[key] is not None:
            context[key] = frozenset(context[key].items())

    resolve = context.get("resolve")
    if resolve is not None:
        context["resolve"] = frozenset((k, v if isinstance(v, str) else tuple(v)) for k, v in resolve.items())

    socket_opts = context.get("socket_options")
    if socket_opts is not None:
        context["socket_options"] = tuple(socket_opts)

    # namedtuple fields can't start with "_": prefix every name with "key_".
    for key in list(context.keys()):
        context["key_" + key] = context.pop(key)

    for field in key_class._fields:
        if field not in context:
            context[field] = None

    if context.get("key_blocksize") is None:
        context["key_blocksize"] = _DEFAULT_BLOCKSIZE

    return key_class(**context)


#: Maps a scheme to the callable that makes its pool keys. Each PoolManager
#: copies it, so it can be changed globally here or per instance.
key_fn_by_scheme = {
    "http": functools.partial(_default_key_normalizer, PoolKey),
    "https": functools.partial(_default_key_normalizer, PoolKey),
}

pool_classes_by_scheme = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}


def _weak(pool: HTTPConnectionPool) -> weakref.ref[HTTPConnectionPool] | None:
    # A weak reference to a pool, or None for a pool class without them.
    try:
        return weakref.ref(pool)
    except TypeError:
        return None


class PoolManager(RequestMethods):
    """Allows for arbitrary requests while transparently keeping track of
    necessary connection pools for you.

    :param num_pools: Number of connection pools to cache before discarding
        the least recently used pool (its connections close once nothing uses
        it; requests in flight on it complete normally).
    :param headers: Headers to include with all requests, unless other
        headers are given explicitly.
    :param max_connections: pool's own, off by default: never more than
        this many connections at once across all the manager's pools, in use
        and idle counted together (see docs/connection-caps.md). At the cap an idle
        connection is closed to make room, else a request waits up to its
        ``pool_timeout`` and then raises
        :class:`~pool.exceptions.EmptyPoolError`.
    :param max_connections_per_host: pool's own, off by default: the same cap
        per origin (scheme, host, port), whatever the other pool settings.
    :param \\**connection_pool_kw: Additional parameters are used to create
        fresh :class:`~pool.connectionpool.ConnectionPool` instances; pool's
        own include ``limits`` (a :class:`~pool.util.limits.Limits`).

    Example:

    .. code-block:: python

        import pool

        http = pool.PoolManager(num_pools=2)
        resp1 = http.request("GET", "https://example.com/")
        resp2 = http.request("GET", "https://example.com/mail")
        resp3 = http.request("GET", "https://example.org/")
        print(len(http.pools))  # 2
    """

    proxy: Url | None = None
    proxy_config: ProxyConfig | None = None

    def __init__(
        self,
        num_pools: int = 10,
        headers: typing.Mapping[str, str] | None = None,
        *,
        max_connections: int | None = None,
        max_connections_per_host: int | None = None,
        **connection_pool_kw: typing.Any,
    ) -> None:
        super().__init__(headers)
        self._limiter: _Limiter | None = None
        if max_connections is not None or max_connections_per_host is not None:
            self._limiter = _Limiter(max_connections, max_connections_per_host)
        # Pools get redirect=False from urlopen(); normalising an int here
        # keeps redirect handling with the manager, as urllib3 does.
        if "retries" in connection_pool_kw:
            retries = connection_pool_kw["retries"]
            if not isinstance(retries, Retry):
                retries = Retry.from_int(retries)
                connection_pool_kw = connection_pool_kw.copy()
                connection_pool_kw["retries"] = retries
        self.connection_pool_kw = connection_pool_kw

        self.pools: RecentlyUsedContainer[PoolKey, HTTPConnectionPool]
        # No dispose function, as in urllib3 2.8: an evicted pool closes its
        # connections when nothing uses it any more (HTTPConnectionPool's
        # finalizer), never under a caller that still holds it.
        self.pools = RecentlyUsedContainer(num_pools)

        self.pool_classes_by_scheme = pool_classes_by_scheme
        self.key_fn_by_scheme = key_fn_by_scheme.copy()
        # (scheme, host, port) -> PoolKey for requests without pool_kwargs,
        # valid while connection_pool_kw (compared with a shallow copy) and
        # key_fn_by_scheme are unchanged.
        # Each entry: (PoolKey, weak reference to its pool or None, the pools'
        # _changes then); see _pool_for.
        self._key_cache: BoundedCache[
            tuple[typing.Any, ...], tuple[PoolKey, weakref.ref[HTTPConnectionPool] | None, int]
        ] = BoundedCache(_KEY_CACHE_MAX)
        self._key_cache_basis: tuple[typing.Any, ...] = ()

    def __enter__(self) -> PoolManager:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> typing.Literal[False]:
        self.clear()
        return False

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, typing.Any] | None = None,
    ) -> HTTPConnectionPool:
        """Create a new pool for scheme, host and port, with the keyword
        arguments in ``request_context`` (default: ``connection_pool_kw``).
        Meant to be overridden for customization."""
        pool_cls: type[HTTPConnectionPool] = self.pool_classes_by_scheme[scheme]
        if request_context is None:
            request_context = self.connection_pool_kw.copy()
        if request_context.get("blocksize") is None:
            request_context["blocksize"] = _DEFAULT_BLOCKSIZE
        for key in ("scheme", "host", "port"):
            request_context.pop(key, None)
        if scheme == "http":
            for kw in SSL_KEYWORDS:
                request_context.pop(kw, None)
        pool = pool_cls(host, port, **request_context)
        if self._limiter is not None:
            pool._limiter = self._limiter
        return pool

    def clear(self) -> None:
        """Empty our store of pools; each closes its connections once nothing
        holds it any more (as in urllib3 2.8). In-flight requests are not
        affected."""
        self.pools.clear()
        self._key_cache.clear()

    def stats(self) -> dict[str, int]:
        """The sum of :meth:`HTTPConnectionPool.stats` over the pools this
        manager holds now (evicted pools no longer count), plus ``pools``."""
        with self.pools.lock:
            current = list(self.pools._container.values())
        total: dict[str, int] = {}
        for p in current:
            for name, value in p.stats().items():
                total[name] = total.get(name, 0) + value
        total["pools"] = len(current)
        return total

    def connection_from_host(
        self,
        host: str | None,
        port: int | None = None,
        scheme: str | None = "http",
        pool_kwargs: dict[str, typing.Any] | None = None,
    ) -> HTTPConnectionPool:
        """Get a pool for host, port and scheme (port defaults from the
        scheme); ``pool_kwargs`` are merged over ``connection_pool_kw`` when a
        new pool has to be made."""
        if not host:
            raise LocationValueError("No host specified.")
        request_context = self._merge_pool_kwargs(pool_kwargs)
        request_context["scheme"] = scheme or "http"
        # An explicit port 0 is kept, as urllib3 2.8 keeps it.
        if port is None:
            port = port_by_scheme.get(request_context["scheme"].lower(), 80)
        request_context["port"] = port
        request_context["host"] = host
        return self.connection_from_context(request_context)

    def connection_from_context(self, request_context: dict[str, typing.Any]) -> HTTPConnectionPool:
        """Get a pool for a request context, which must have a ``scheme``
        known to ``key_fn_by_scheme``."""
        if "strict" in request_context:
            warnings.warn(
                "The 'strict' parameter is no longer needed on Python 3+. This will raise an error in urllib3 v3.0.",
                FutureWarning,
            )
            request_context.pop("strict")
        scheme = request_context["scheme"].lower()
        pool_key_constructor = self.key_fn_by_scheme.get(scheme)
        if not pool_key_constructor:
            raise URLSchemeUnknown(scheme)
        pool_key = pool_key_constructor(request_context)
        return self.connection_from_pool_key(pool_key, request_context=request_context)

    def connection_from_pool_key(self, pool_key: PoolKey, request_context: dict[str, typing.Any]) -> HTTPConnectionPool:
        """Get (or make) the pool for ``pool_key``."""
        with self.pools.lock:
            pool = self.pools.get(pool_key)
            if pool:
                return pool
            scheme = request_context["scheme"]
            host = request_context["host"]
            port = request_context["port"]
            pool = self._new_pool(scheme, host, port, request_context=request_context)
            self.pools[pool_key] = pool
        return pool

    def connection_from_url(self, url: str, pool_kwargs: dict[str, typing.Any] | None = None) -> HTTPConnectionPool:
        """Like :func:`pool.connectionpool.connection_from_url`, from this
        manager's pools; ``pool_kwargs`` are used only if a new pool is made."""
        u = parse_url(url)
        return self.connection_from_host(u.host, port=u.port, scheme=u.scheme, pool_kwargs=pool_kwargs)

    def _merge_pool_kwargs(self, override: dict[str, typing.Any] | None) -> dict[str, typing.Any]:
        """Merge ``override`` over ``connection_pool_kw`` into a new dict;
        keys whose override is None are removed."""
        base_pool_kwargs = self.connection_pool_kw.copy()
        if override:
            for key, value in override.items():
                if value is None:
                    try:
                        del base_pool_kwargs[key]
                    except KeyError:
                        pass
                else:
                    base_pool_kwargs[key] = value
        return base_pool_kwargs

    def _proxy_requires_url_absolute_form(self, parsed_url: Url) -> bool:
        """Whether requests through the proxy need the absolute URL."""
        if self.proxy is None:
            return False
        from .util.proxy import connection_requires_http_tunnel

        return not connection_requires_http_tunnel(self.proxy, self.proxy_config, parsed_url.scheme)

    def _pool_for(self, u: Url) -> HTTPConnectionPool:
        # The hot path of connection_from_host(): same result, but the PoolKey
        # for a (scheme, host, port) is computed once while the settings stay
        # the same. Subclasses that override how pools are found get the
        # documented slow path.
        if (
            type(self).connection_from_host is not PoolManager.connection_from_host
            or type(self).connection_from_context is not PoolManager.connection_from_context
        ):
            return self.connection_from_host(u.host, port=u.port, scheme=u.scheme)
        cache_key = (u.scheme, u.host, u.port)
        hit = self._key_cache.get(cache_key)
        basis = self._key_cache_basis
        if hit is not None and basis[1] is self.key_fn_by_scheme and basis[0] == self.connection_pool_kw:
            key, last, changes = hit
            pools = self.pools
            if type(pools) is RecentlyUsedContainer:
                # RecentlyUsedContainer.__getitem__, without its call.
                with pools.lock:
                    od = pools._container
                    # No key has changed its value since ``key`` was seen
                    # holding the pool ``last`` refers to: that pool is
                    # still its value, with no lookup, and no move when
                    # ``key`` is already the most recent (keep-alive to one
                    # host).  Each hash of the 36-field PoolKey costs about
                    # 2k instructions.
                    if last is not None and pools._changes == changes:
                        found = last()
                        if found is not None:
                            if pools._mru is not key:
                                od.move_to_end(key)
                                pools._mru = key
                            return found
                    found = od.get(key)
                    if found is not None:
                        od.move_to_end(key)
                        pools._mru = key
                        # Seen again after a change: valid from here on.
                        self._key_cache.put(cache_key, (key, _weak(found), pools._changes))
                        return found
            else:
                try:
                    return pools[key]
                except KeyError:
                    pass
        pool = self.connection_from_host(u.host, port=u.port, scheme=u.scheme)
        # Remember the key the slow path used (rebuilt the same way).
        if u.host:
            scheme = u.scheme or "http"
            ctx = self.connection_pool_kw.copy()
            ctx["scheme"] = scheme
            ctx["port"] = u.port if u.port is not None else port_by_scheme.get(scheme.lower(), 80)
            ctx["host"] = u.host
            fn = self.key_fn_by_scheme.get(scheme.lower())
            if fn is not None:
                kw = self.connection_pool_kw
                if not basis or basis[0] != kw or basis[1] is not self.key_fn_by_scheme:
                    # New settings: the old keys are void.
                    self._key_cache.clear()
                    self._key_cache_basis = (kw.copy(), self.key_fn_by_scheme)
                key = fn(ctx)
                last = None
                changes = -1
                pools = self.pools
                if type(pools) is RecentlyUsedContainer:
                    # The pool just found or made is the container's most
                    # recent: keep the key it was found by, and the pool
                    # weakly (an evicted pool must close when nothing else
                    # holds it).
                    with pools.lock:
                        held = pools._mru
                        if held is not None and held == key and pools._container.get(held) is pool:
                            key = held
                            changes = pools._changes
                            last = _weak(pool)
                self._key_cache.put(cache_key, (key, last, changes))
        return pool

    def urlopen(  # type: ignore[override]
        self, method: str, url: str, redirect: bool = True, **kw: typing.Any
    ) -> BaseHTTPResponse:
        """Same as :meth:`HTTPConnectionPool.urlopen`, but ``url`` must be
        absolute: it picks the pool, sends only the request target, and
        follows redirects across hosts (stripping
        ``Retry.remove_headers_on_redirect`` headers when the host changes,
        refusing schemes other than http and https)."""
        u = parse_url(url)

        if u.scheme is None:
            warnings.warn(
                "URLs without a scheme (ie 'https://') are deprecated and will raise an error "
                "in urllib3 v3.0. To avoid this FutureWarning ensure all URLs "
                "start with 'https://' or 'http://'. Read more in this issue: "
                "https://github.com/urllib3/urllib3/issues/2920",
                category=FutureWarning,
                stacklevel=_CALLER,
            )

        conn = self._pool_for(u)

        # Record where a file-like body starts, so that a 307/308 sends the
        # same bytes again (urllib3 forgets this across its own recursion).
        body_pos = kw.get("body_pos")
        if body_pos is None and "body" in kw:
            body = kw["body"]
            if body is not None and not isinstance(body, (bytes, str)):
                body_pos = set_file_position(body, None)

        kw["assert_same_host"] = False
        kw["redirect"] = False
        if "headers" not in kw:
            kw["headers"] = self.headers

        # Absolute form to a forwarding proxy, without the fragment, which is
        # never sent (urllib3 2.8).
        if self.proxy is not None and self._proxy_requires_url_absolute_form(u):
            target = u._replace(fragment=None).url if u.fragment is not None else url
        else:
            target = u.request_uri
        for attempt in range(_CLOSED_POOL_ATTEMPTS):
            try:
                response = conn.urlopen(method, target, **kw)
                break
            except ClosedPoolError:
                # Another thread evicted this pool between lookup and use.
                # Nothing was sent (the pool refuses before taking a
                # connection), so look the pool up again and go on.
                if attempt == _CLOSED_POOL_ATTEMPTS - 1:
                    raise
                conn = self._pool_for(u)

        if not redirect or response.status not in _REDIRECT_STATUSES:
            return response
        return self._follow_redirect(response, conn, method, url, body_pos, kw)

    def _follow_redirect(
        self,
        response: BaseHTTPResponse,
        conn: HTTPConnectionPool,
        method: str,
        url: str,
        body_pos: typing.Any,
        kw: dict[str, typing.Any],
    ) -> BaseHTTPResponse:
        # ``response`` to urlopen(method, url, **kw) on ``conn`` has a
        # redirect status: follow its Location across hosts as the planner
        # says, or return it.
        redirect_location = response.get_redirect_location()
        if not redirect_location:
            return response

        # Support relative URLs for redirecting, but not those a browser
        # would resolve to another host than urljoin() does.
        try:
            redirect_location = _resolve_redirect(url, redirect_location)
        except LocationParseError:
            response.drain_conn()
            raise

        retries = kw.get("retries", response.retries)
        if not isinstance(retries, Retry):
            retries = Retry.from_int(retries, redirect=True)

        req = _Request(method, url, kw.get("body"), kw["headers"], retries, kw.get("chunked", False), body_pos)
        follow = plan_redirect(response, conn, req, redirect_location)
        if follow is None:
            return response
        kw["headers"] = follow.headers
        kw["retries"] = follow.retries
        if "body" in kw or follow.body is not None:
            kw["body"] = follow.body
        if "chunked" in kw or follow.chunked:
            kw["chunked"] = follow.chunked
        if follow.body_pos is not None and follow.body is not None:
            kw["body_pos"] = follow.body_pos
        else:
            kw.pop("body_pos", None)
        kw["redirect"] = True  # the pool's False was for one hop

        log.info("Redirecting %s -> %s", url, redirect_location)
        return self.urlopen(follow.method, redirect_location, **kw)


class ProxyManager(PoolManager):
    """Behaves like :class:`PoolManager`, but sends every request through
    one proxy.

    http:// URLs are forwarded: the request goes to the proxy with the
    absolute URL as its target (RFC 9112 §3.2.2), ``proxy_headers`` and a
    Host header for the origin. https:// URLs get a CONNECT tunnel per
    connection (RFC 9110 §9.3.6), opened once and reused for the
    connection's keep-alive life, carrying ``proxy_headers`` on the CONNECT
    only; through an https proxy the origin's TLS runs inside the proxy's.

    :param proxy_url: The proxy's URL (``http://`` or ``https://``; other
        schemes raise :class:`~pool.exceptions.ProxySchemeUnknown`). The
        port defaults from the scheme. User info in it
        (``http://user:pass@host``) becomes a Basic ``Proxy-Authorization``
        header unless ``proxy_headers`` already has one.
    :param proxy_headers: Headers sent to the proxy: with each forwarded
        request, and with each CONNECT. Could be used for proxy
        authentication.
    :param proxy_ssl_context: The SSLContext for the TLS connection to an
        https proxy.
    :param use_forwarding_for_https: Forward https:// requests to an https
        proxy in absolute form instead of tunnelling them. The proxy then
        sees every request and response in the clear; a tunnel keeps them
        private (IP address, host name, SNI and port are visible either way).
    :param proxy_assert_hostname: The host name the proxy's certificate must
        match.
    :param proxy_assert_fingerprint: The fingerprint the proxy's certificate
        must have.

    Example:

    .. code-block:: python

        import pool

        proxy = pool.ProxyManager("http://localhost:3128/")
        resp1 = proxy.request("GET", "http://example.com/")
        resp2 = proxy.request("GET", "http://example.org/")
        print(len(proxy.pools))  # 1: both went to the proxy's pool
        resp3 = proxy.request("GET", "https://example.com/")
        print(len(proxy.pools))  # 2: one pool per https origin
    """

    def __init__(
        self,
        proxy_url: str,
        num_pools: int = 10,
        headers: typing.Mapping[str, str] | None = None,
        proxy_headers: typing.Mapping[str, str] | None = None,
        proxy_ssl_context: ssl.SSLContext | None = None,
        use_forwarding_for_https: bool = False,
        proxy_assert_hostname: None | str | typing.Literal[False] = None,
        proxy_assert_fingerprint: str | None = None,
        **connection_pool_kw: typing.Any,
    ) -> None:
        if isinstance(proxy_url, HTTPConnectionPool):
            proxy_url = f"{proxy_url.scheme}://{proxy_url.host}:{proxy_url.port}"
        proxy = parse_url(proxy_url)
        if proxy.scheme not in ("http", "https"):
            raise ProxySchemeUnknown(proxy.scheme)
        if proxy.port is None:
            proxy = proxy._replace(port=port_by_scheme.get(proxy.scheme, 80))

        proxy_headers = dict(proxy_headers) if proxy_headers else {}
        if proxy.auth and not any(name.lower() == "proxy-authorization" for name in proxy_headers):
            # RFC 3986 §3.2.1: user info is percent-encoded in the URL.
            proxy_headers.update(make_headers(proxy_basic_auth=unquote(proxy.auth)))

        self.proxy = proxy
        self.proxy_headers = proxy_headers
        self.proxy_ssl_context = proxy_ssl_context
        if use_forwarding_for_https and proxy.scheme == "https" and connection_pool_kw.get("ssl_context") is not None:
            # As urllib3 2.8: the origin's ssl_context is not the proxy's
            # TLS policy; it stays a fallback on the manager only.
            warnings.warn(
                "Passing ssl_context when use_forwarding_for_https=True is deprecated "
                "and will raise an error in urllib3 v3.0. "
                "Use proxy_ssl_context to configure the TLS connection to the proxy.",
                FutureWarning,
                stacklevel=_CALLER,
            )
            if self.proxy_ssl_context is None:
                self.proxy_ssl_context = connection_pool_kw.get("ssl_context")
        self.proxy_config = ProxyConfig(
            proxy_ssl_context,
            use_forwarding_for_https,
            proxy_assert_hostname,
            proxy_assert_fingerprint,
        )

        connection_pool_kw["_proxy"] = self.proxy
        connection_pool_kw["_proxy_headers"] = self.proxy_headers
        connection_pool_kw["_proxy_config"] = self.proxy_config

        super().__init__(num_pools, headers, **connection_pool_kw)

    def connection_from_host(
        self,
        host: str | None,
        port: int | None = None,
        scheme: str | None = "http",
        pool_kwargs: dict[str, typing.Any] | None = None,
    ) -> HTTPConnectionPool:
        """The pool for a request: one per origin for https (each connection
        a tunnel, or forwarded), the proxy's own pool for everything else."""
        if scheme == "https":
            return super().connection_from_host(host, port, scheme, pool_kwargs=pool_kwargs)
        proxy = typing.cast(Url, self.proxy)
        return super().connection_from_host(proxy.host, proxy.port, proxy.scheme, pool_kwargs=pool_kwargs)

    def _set_proxy_headers(self, url: str, headers: typing.Mapping[str, str] | None = None) -> typing.Mapping[str, str]:
        """Headers for a forwarded request: ``Accept: */*`` and the origin's
        Host, each unless the caller's headers set it."""
        headers_ = {"Accept": "*/*"}
        netloc = parse_url(url).netloc
        if netloc:
            headers_["Host"] = netloc
        if headers:
            headers_.update(headers)
        return headers_

    def urlopen(  # type: ignore[override]
        self, method: str, url: str, redirect: bool = True, **kw: typing.Any
    ) -> BaseHTTPResponse:
        """Same as :meth:`HTTPConnectionPool.urlopen`; ``url`` must be absolute."""
        u = parse_url(url)
        if not connection_requires_http_tunnel(self.proxy, self.proxy_config, u.scheme):
            # Through a tunnel the connection itself sends Host; a forwarded
            # request must name its origin.
            kw["headers"] = self._set_proxy_headers(url, kw.get("headers", self.headers))
        return super().urlopen(method, url, redirect=redirect, **kw)


def proxy_from_url(url: str, **kw: typing.Any) -> ProxyManager:
    """Shortcut for ``ProxyManager(proxy_url=url, **kw)``."""
    return ProxyManager(proxy_url=url, **kw)

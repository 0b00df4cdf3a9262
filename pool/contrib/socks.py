"""SOCKS proxies for pool, on PySocks: urllib3 2.x's ``urllib3.contrib.socks``.

The same classes, signatures and behaviour as urllib3's module, so code
written for urllib3 (and requests' ``socks5h://`` proxies, once
:func:`pool.install_as_urllib3` is in effect) works unchanged:

- :class:`SOCKSProxyManager` takes a proxy URL with scheme ``socks4``,
  ``socks4a``, ``socks5`` or ``socks5h``; the ``a``/``h`` forms send the
  host name to the proxy, which resolves it (remote DNS), the others resolve
  it locally and send an address;
- the user name and password come from the proxy URL (percent-decoded as
  UTF-8) or from the ``username``/``password`` arguments; SOCKS5 sends both
  (RFC 1929), SOCKS4 sends the user name as its user id;
- failing to reach or negotiate with the proxy raises
  :class:`~pool.exceptions.NewConnectionError`, a timeout
  :class:`~pool.exceptions.ConnectTimeoutError`, which the pool retries and
  finally reports as :class:`~pool.exceptions.MaxRetryError`.

PySocks is an optional dependency (the ``socks`` extra).  Without it,
importing this module warns with :class:`~pool.exceptions.DependencyWarning`
and re-raises the ImportError, as urllib3 does, so callers that probe for
SOCKS support (requests does, at import) see the same outcome.

Only the socket set-up differs from a direct connection:
:meth:`SOCKSConnection._new_conn` returns a socket already tunnelled through
the proxy, and everything after it (TLS, pool's request serialization and
response reader) runs on that socket as on any other.  No http.client hook is
overridden, so these connections keep pool's own one-call request path.
"""

from __future__ import annotations

try:
    # PySocks ships no type information, and may be absent.
    import socks  # type: ignore[import-untyped,import-not-found,unused-ignore]
except ImportError:
    import warnings

    from ..exceptions import DependencyWarning

    warnings.warn(
        (
            "SOCKS support in urllib3 requires the installation of optional "
            "dependencies: specifically, PySocks.  For more information, see "
            "https://urllib3.readthedocs.io/en/latest/advanced-usage.html#socks-proxies"
        ),
        DependencyWarning,
    )
    raise

import typing
from socket import timeout as SocketTimeout

from ..connection import HTTPConnection, HTTPSConnection
from ..connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from ..exceptions import ConnectTimeoutError, NewConnectionError
from ..poolmanager import PoolManager
from ..util.url import parse_url


class _TYPE_SOCKS_OPTIONS(typing.TypedDict):
    """What a SOCKS connection needs to know about its proxy (urllib3's
    shape, ``proxy_port`` annotation included)."""

    socks_version: int
    proxy_host: str | None
    proxy_port: str | None
    username: str | None
    password: str | None
    rdns: bool


class SOCKSConnection(HTTPConnection):
    """A plain-text HTTP connection that connects via a SOCKS proxy.

    :param _socks_options: the proxy (see :data:`_TYPE_SOCKS_OPTIONS`); the
        other arguments are :class:`~pool.connection.HTTPConnection`'s.
    """

    def __init__(
        self,
        _socks_options: _TYPE_SOCKS_OPTIONS,
        *args: typing.Any,
        **kwargs: typing.Any,
    ) -> None:
        self._socks_options = _socks_options
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socks.socksocket:
        """Open a socket to the proxy and have it connect to ``host:port``.

        With ``rdns`` the proxy gets the host name; otherwise PySocks resolves
        it here and sends the address. ``source_address`` and
        ``socket_options`` apply to the socket to the proxy.
        """
        extra_kw: dict[str, typing.Any] = {}
        if self.source_address:
            extra_kw["source_address"] = self.source_address

        if self.socket_options:
            extra_kw["socket_options"] = self.socket_options

        options = self._socks_options
        try:
            conn = socks.create_connection(
                (self.host, self.port),
                proxy_type=options["socks_version"],
                proxy_addr=options["proxy_host"],
                proxy_port=options["proxy_port"],
                proxy_username=options["username"],
                proxy_password=options["password"],
                proxy_rdns=options["rdns"],
                timeout=self.timeout,
                **extra_kw,
            )

        except SocketTimeout as e:
            raise ConnectTimeoutError(
                self,
                f"Connection to {self.host} timed out. (connect timeout={self.timeout})",
            ) from e

        except socks.ProxyError as e:
            # PySocks wraps the socket error that ended the negotiation (if
            # any) in its own exception: report that one, as urllib3 does.
            if e.socket_err:
                error = e.socket_err
                if isinstance(error, SocketTimeout):
                    raise ConnectTimeoutError(
                        self,
                        f"Connection to {self.host} timed out. (connect timeout={self.timeout})",
                    ) from e
                # No ``from e``, exactly as urllib3 raises it.
                raise NewConnectionError(self, f"Failed to establish a new connection: {error}")
            # The proxy refused (authentication failed, a rule forbids the
            # destination, or it sent something that isn't SOCKS).
            raise NewConnectionError(self, f"Failed to establish a new connection: {e}") from e

        except OSError as e:
            # The proxy's own name did not resolve, or another socket error
            # PySocks let through.
            raise NewConnectionError(self, f"Failed to establish a new connection: {e}") from e

        return conn


# HTTPSConnection verifies or not by its own settings, so one TLS class
# serves both cases (urllib3's Verified/Unverified names are aliases).
class SOCKSHTTPSConnection(SOCKSConnection, HTTPSConnection):
    """An HTTPS connection via a SOCKS proxy: TLS with the origin runs over
    the proxied socket, and the certificate is checked against the origin's
    host name as without a proxy."""


class SOCKSHTTPConnectionPool(HTTPConnectionPool):
    """A pool of :class:`SOCKSConnection`."""

    ConnectionCls = SOCKSConnection


class SOCKSHTTPSConnectionPool(HTTPSConnectionPool):
    """A pool of :class:`SOCKSHTTPSConnection`."""

    ConnectionCls = SOCKSHTTPSConnection


class SOCKSProxyManager(PoolManager):
    """A version of the ProxyManager that routes connections via the defined
    SOCKS proxy.

    :param proxy_url: ``socks4://``, ``socks4a://``, ``socks5://`` or
        ``socks5h://`` URL of the proxy, optionally with ``user:password@``.
    :param username: user name (SOCKS4: user id) for the proxy; with
        ``password``, overrides the URL's when either is given.
    :param password: password for the proxy (SOCKS5 only).
    :param num_pools, headers, connection_pool_kw: as for
        :class:`~pool.poolmanager.PoolManager`.
    :raises ValueError: for any other scheme.
    """

    pool_classes_by_scheme = {
        "http": SOCKSHTTPConnectionPool,
        "https": SOCKSHTTPSConnectionPool,
    }

    def __init__(
        self,
        proxy_url: str,
        username: str | None = None,
        password: str | None = None,
        num_pools: int = 10,
        headers: typing.Mapping[str, str] | None = None,
        **connection_pool_kw: typing.Any,
    ):
        parsed = parse_url(proxy_url)

        if username is None and password is None:
            username, password = parsed.auth_decoded
        # scheme -> (SOCKS version, whether the proxy resolves names)
        versions = {
            "socks5": (socks.PROXY_TYPE_SOCKS5, False),
            "socks5h": (socks.PROXY_TYPE_SOCKS5, True),
            "socks4": (socks.PROXY_TYPE_SOCKS4, False),
            "socks4a": (socks.PROXY_TYPE_SOCKS4, True),
        }
        if parsed.scheme not in versions:
            raise ValueError(f"Unable to determine SOCKS version from {proxy_url}")
        socks_version, rdns = versions[parsed.scheme]

        self.proxy_url = proxy_url

        socks_options = {
            "socks_version": socks_version,
            "proxy_host": parsed.host,
            "proxy_port": parsed.port,
            "username": username,
            "password": password,
            "rdns": rdns,
        }
        connection_pool_kw["_socks_options"] = socks_options

        super().__init__(num_pools, headers, **connection_pool_kw)

        self.pool_classes_by_scheme = SOCKSProxyManager.pool_classes_by_scheme

"""TLS set-up: the SSLContext pool uses, socket wrapping and certificate
fingerprint pinning.

Defaults as urllib3 2.x: TLS 1.2 minimum, certificate and host name
verification on, no compression (CRIME), no session tickets unless asked,
ALPN ``http/1.1``, host name checks never fall back to the commonName
(RFC 6125 §6.4.4), and ``SSLKEYLOGFILE`` honoured for debugging.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import sys
import typing
import warnings
from binascii import Error as BinasciiError
from binascii import unhexlify

from ..exceptions import ProxySchemeUnsupported, SSLError
from .url import _BRACELESS_IPV6_ADDRZ_RE, _IPV4_RE

__all__ = [
    "ALPN_PROTOCOLS",
    "HASHFUNC_MAP",
    "HAS_NEVER_CHECK_COMMON_NAME",
    "HAS_SNI",
    "IS_PYOPENSSL",
    "SSLContext",
    "SSLTransport",
    "assert_fingerprint",
    "create_urllib3_context",
    "is_ipaddress",
    "resolve_cert_reqs",
    "resolve_ssl_version",
    "ssl_wrap_socket",
]

SSLContext = None
SSLTransport = None
HAS_NEVER_CHECK_COMMON_NAME = False
#: pool never uses pyOpenSSL.
IS_PYOPENSSL = False
#: Every Python ``ssl`` module pool supports sends SNI.
HAS_SNI = True
#: Protocols offered in the TLS ALPN extension: pool speaks HTTP/1.1 only.
ALPN_PROTOCOLS = ["http/1.1"]

_TYPE_VERSION_INFO = typing.Tuple[int, int, int, str, int]

#: Fingerprint length in hex digits -> hash function producing it.
HASHFUNC_MAP = {
    length: getattr(hashlib, algorithm, None) for length, algorithm in ((32, "md5"), (40, "sha1"), (64, "sha256"))
}

if typing.TYPE_CHECKING:  # pragma: no cover
    from ssl import VerifyMode
    from typing import TypedDict

    class _TYPE_PEER_CERT_RET_DICT(TypedDict, total=False):
        subjectAltName: tuple[tuple[str, str], ...]
        subject: tuple[tuple[tuple[str, str], ...], ...]
        serialNumber: str


# ssl.PROTOCOL_TLSv1* -> ssl.TLSVersion.*, to turn the deprecated
# ``ssl_version`` into minimum/maximum versions.
_SSL_VERSION_TO_TLS_VERSION: dict[int, typing.Any] = {}


def _is_has_never_check_common_name_reliable(openssl_version: str) -> bool:
    # LibreSSL ignores hostname_checks_common_name=False, so only trust
    # HAS_NEVER_CHECK_COMMON_NAME on OpenSSL.
    return openssl_version.startswith("OpenSSL ")


try:
    import ssl
    from ssl import (  # type: ignore[assignment]
        CERT_REQUIRED,
        HAS_NEVER_CHECK_COMMON_NAME,
        OP_NO_COMPRESSION,
        OP_NO_TICKET,
        OPENSSL_VERSION,
        PROTOCOL_TLS,
        PROTOCOL_TLS_CLIENT,
        VERIFY_X509_PARTIAL_CHAIN,
        VERIFY_X509_STRICT,
        OP_NO_SSLv2,
        OP_NO_SSLv3,
        SSLContext,
        TLSVersion,
    )

    PROTOCOL_SSLv23 = PROTOCOL_TLS

    if HAS_NEVER_CHECK_COMMON_NAME and not _is_has_never_check_common_name_reliable(OPENSSL_VERSION):
        HAS_NEVER_CHECK_COMMON_NAME = False

    for _name in ("TLSv1", "TLSv1_1", "TLSv1_2"):
        try:
            _SSL_VERSION_TO_TLS_VERSION[getattr(ssl, f"PROTOCOL_{_name}")] = getattr(TLSVersion, _name)
        except AttributeError:  # pragma: no cover - removed from newer ssl modules
            continue
    del _name

    try:
        from .ssltransport import SSLTransport  # type: ignore[assignment]
    except ImportError:
        SSLTransport = None
except ImportError:  # pragma: no cover - Python built without ssl
    # Stand-ins at run time only: type checkers see the ssl module, whose
    # stubs declare these constants Final.
    if not typing.TYPE_CHECKING:
        OP_NO_COMPRESSION = 0x20000
        OP_NO_TICKET = 0x4000
        OP_NO_SSLv2 = 0x1000000
        OP_NO_SSLv3 = 0x2000000
        PROTOCOL_SSLv23 = PROTOCOL_TLS = 2
        PROTOCOL_TLS_CLIENT = 16
        VERIFY_X509_PARTIAL_CHAIN = 0x80000
        VERIFY_X509_STRICT = 0x20
    HAS_SNI = False


def assert_fingerprint(cert: bytes | None, fingerprint: str) -> None:
    """Check that DER certificate *cert* has the given fingerprint.

    *fingerprint* is the MD5, SHA-1 or SHA-256 digest in hex (colons allowed,
    any case); its length selects the hash.  The comparison runs in constant
    time.

    :raises SSLError: no certificate, a fingerprint of a wrong length or not
        hex, or a mismatch.
    """
    if cert is None:
        raise SSLError("No certificate for the peer.")
    fingerprint = fingerprint.replace(":", "").lower()
    digest_length = len(fingerprint)
    if digest_length not in HASHFUNC_MAP:
        raise SSLError(f"Fingerprint of invalid length: {fingerprint}")
    hashfunc = HASHFUNC_MAP[digest_length]
    if hashfunc is None:
        raise SSLError(f"Hash function implementation unavailable for fingerprint length: {digest_length}")
    try:
        expected = unhexlify(fingerprint.encode("ascii"))
    except (UnicodeError, BinasciiError):
        raise SSLError(f"Fingerprint is not hexadecimal: {fingerprint}") from None
    cert_digest = hashfunc(cert).digest()
    if not hmac.compare_digest(cert_digest, expected):
        raise SSLError(f'Fingerprints did not match. Expected "{fingerprint}", got "{cert_digest.hex()}"')


def resolve_cert_reqs(candidate: None | int | str) -> VerifyMode:
    """Turn a ``cert_reqs`` argument into an :mod:`ssl` constant.

    ``None`` means ``CERT_REQUIRED``; a str names the constant with or without
    its ``CERT_`` prefix (``"REQUIRED"``, ``"CERT_NONE"``); anything else is
    returned as is.
    """
    if candidate is None:
        return CERT_REQUIRED
    if isinstance(candidate, str):
        res = getattr(ssl, candidate, None)
        if res is None:
            res = getattr(ssl, "CERT_" + candidate)
        return res  # type: ignore[no-any-return]
    return candidate  # type: ignore[return-value]


def resolve_ssl_version(candidate: None | int | str) -> int:
    """Like :func:`resolve_cert_reqs` for ``ssl_version`` (``PROTOCOL_``
    prefix; ``None`` means ``PROTOCOL_TLS``)."""
    if candidate is None:
        return PROTOCOL_TLS
    if isinstance(candidate, str):
        res = getattr(ssl, candidate, None)
        if res is None:
            res = getattr(ssl, "PROTOCOL_" + candidate)
        return typing.cast(int, res)
    return candidate


def create_urllib3_context(
    ssl_version: int | None = None,
    cert_reqs: int | None = None,
    options: int | None = None,
    ciphers: str | None = None,
    ssl_minimum_version: int | None = None,
    ssl_maximum_version: int | None = None,
    verify_flags: int | None = None,
) -> ssl.SSLContext:
    """Create the client :class:`ssl.SSLContext` pool uses by default.

    :param ssl_version: deprecated; an exact protocol is turned into minimum
        and maximum versions (with a FutureWarning).  Cannot be combined with
        them.
    :param cert_reqs: verification mode; default ``ssl.CERT_REQUIRED`` (which
        also turns on ``check_hostname``).
    :param options: OpenSSL options; default no SSLv2, no SSLv3, no
        compression, no session tickets.
    :param ciphers: an OpenSSL cipher string; default: the system's.
    :param ssl_minimum_version: a :class:`ssl.TLSVersion`; default TLS 1.2.
    :param ssl_maximum_version: a :class:`ssl.TLSVersion`; default the
        library's maximum.
    :param verify_flags: extra ``verify_flags``; default, on Python 3.13+,
        ``VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT`` as
        :func:`ssl.create_default_context` sets them.
    :raises ValueError: for ``ssl_version`` together with a min/max version.
    """
    if SSLContext is None:
        raise TypeError("Can't create an SSLContext object without an ssl module")

    if ssl_version not in (None, PROTOCOL_TLS, PROTOCOL_TLS_CLIENT):
        if ssl_minimum_version is not None or ssl_maximum_version is not None:
            raise ValueError(
                "Can't specify both 'ssl_version' and either 'ssl_minimum_version' or 'ssl_maximum_version'"
            )
        ssl_minimum_version = _SSL_VERSION_TO_TLS_VERSION.get(ssl_version, TLSVersion.MINIMUM_SUPPORTED)
        ssl_maximum_version = _SSL_VERSION_TO_TLS_VERSION.get(ssl_version, TLSVersion.MAXIMUM_SUPPORTED)
        warnings.warn(
            "'ssl_version' option is deprecated and will be removed in urllib3 v3.0. Instead use 'ssl_minimum_version'",
            category=FutureWarning,
            stacklevel=2,
        )

    context = SSLContext(PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl_minimum_version if ssl_minimum_version is not None else TLSVersion.TLSv1_2
    if ssl_maximum_version is not None:
        context.maximum_version = ssl_maximum_version
    if ciphers:
        context.set_ciphers(ciphers)

    cert_reqs = ssl.CERT_REQUIRED if cert_reqs is None else cert_reqs

    if options is None:
        # SSLv2/SSLv3 are broken; compression enables CRIME; session tickets
        # are sent in the clear-ish and many servers never rotate their keys.
        options = OP_NO_SSLv2 | OP_NO_SSLv3 | OP_NO_COMPRESSION | OP_NO_TICKET
    context.options |= options

    if verify_flags is None:
        verify_flags = 0
        if sys.version_info >= (3, 13):
            verify_flags |= VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT
    context.verify_flags |= verify_flags

    # TLS 1.3 post-handshake authentication, needed for client certificates
    # a server asks for after the handshake.
    if getattr(context, "post_handshake_auth", None) is not None:
        context.post_handshake_auth = True

    # Order matters: the ssl module refuses check_hostname=True with
    # CERT_NONE, and verify_mode=CERT_NONE while check_hostname is True.
    if cert_reqs == ssl.CERT_REQUIRED and not IS_PYOPENSSL:
        context.verify_mode = cert_reqs
        context.check_hostname = True
    else:
        context.check_hostname = False
        context.verify_mode = cert_reqs

    context.hostname_checks_common_name = False

    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog:
        context.keylog_filename = os.path.expandvars(keylog)
    return context


def ssl_wrap_socket(
    sock: socket.socket,
    keyfile: str | None = None,
    certfile: str | None = None,
    cert_reqs: int | None = None,
    ca_certs: str | None = None,
    server_hostname: str | None = None,
    ssl_version: int | None = None,
    ciphers: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    ca_cert_dir: str | None = None,
    key_password: str | None = None,
    ca_cert_data: None | str | bytes = None,
    tls_in_tls: bool = False,
) -> typing.Any:
    """Wrap *sock* in TLS and return the TLS socket.

    Arguments mean what they mean for :func:`ssl.create_default_context`,
    :meth:`ssl.SSLContext.load_cert_chain`, ``load_verify_locations`` and
    ``wrap_socket``.

    :param server_hostname: sent as SNI and checked against the certificate.
    :param ssl_context: a ready context; default :func:`create_urllib3_context`
        (which then also loads the system's CA certificates if none are given).
    :param ca_cert_dir: a directory of CA files (OpenSSL ``-CApath``).
    :param key_password: password of an encrypted *keyfile*.
    :param ca_cert_data: CA certificates as PEM text or DER bytes.
    :param tls_in_tls: TLS inside an existing TLS stream (an https proxy).
    :raises SSLError: unreadable CA files, or an encrypted key without password.
    """
    context = ssl_context
    if context is None:
        context = create_urllib3_context(ssl_version, cert_reqs, ciphers=ciphers)

    if ca_certs or ca_cert_dir or ca_cert_data:
        try:
            context.load_verify_locations(ca_certs, ca_cert_dir, ca_cert_data)
        except OSError as e:
            raise SSLError(e) from e
    elif ssl_context is None and hasattr(context, "load_default_certs"):
        context.load_default_certs()

    # An encrypted key without a password would make OpenSSL prompt on the
    # terminal: refuse instead.
    if keyfile and key_password is None and _is_key_file_encrypted(keyfile):
        raise SSLError("Client private key is encrypted, password is required")

    if certfile:
        if key_password is None:
            context.load_cert_chain(certfile, keyfile)
        else:
            context.load_cert_chain(certfile, keyfile, key_password)

    context.set_alpn_protocols(ALPN_PROTOCOLS)
    return _ssl_wrap_socket_impl(sock, context, tls_in_tls, server_hostname)


def is_ipaddress(hostname: str | bytes) -> bool:
    """Whether *hostname* is an IPv4 or IPv6 address (IPv6 without brackets,
    zone id allowed)."""
    if isinstance(hostname, bytes):
        hostname = hostname.decode("ascii")
    return bool(_IPV4_RE.match(hostname) or _BRACELESS_IPV6_ADDRZ_RE.match(hostname))


def _is_key_file_encrypted(key_file: str) -> bool:
    with open(key_file) as f:
        return any("ENCRYPTED" in line for line in f)


def _ssl_wrap_socket_impl(
    sock: socket.socket,
    ssl_context: ssl.SSLContext,
    tls_in_tls: bool,
    server_hostname: str | None = None,
) -> typing.Any:
    if tls_in_tls:
        if not SSLTransport:
            raise ProxySchemeUnsupported(
                "TLS in TLS (an https destination through an https proxy tunnel) is not supported"
            )
        SSLTransport._validate_ssl_context_for_tls_in_tls(ssl_context)
        return SSLTransport(sock, ssl_context, server_hostname)
    try:
        return ssl_context.wrap_socket(sock, server_hostname=server_hostname)
    except BaseException as e:
        _close_orphaned_ssl_socket(e)
        raise


def _close_orphaned_ssl_socket(exc: BaseException) -> None:
    # Before Python 3.13, SSLSocket._create() could raise without closing the
    # SSLSocket it had made and handed the descriptor to (its pre-handshake
    # check re-raises, e.g. ECONNRESET when the peer reset the connection
    # before the handshake): the descriptor then stayed open until garbage
    # collection, with a ResourceWarning.  Find that socket in the traceback
    # and close it (closing it again is harmless where Python did).
    try:
        import ssl as ssl_module

        create: typing.Any = getattr(ssl_module.SSLSocket, "_create")  # noqa: B009 - private, hence getattr
        code = create.__func__.__code__
    except (ImportError, AttributeError):  # pragma: no cover - no ssl, or another ssl module
        return
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            orphan = tb.tb_frame.f_locals.get("self")
            if isinstance(orphan, ssl_module.SSLSocket):
                try:
                    orphan.close()
                except OSError:  # pragma: no cover
                    pass
            return
        tb = tb.tb_next

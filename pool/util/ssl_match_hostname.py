"""Certificate host name checking, for TLS set-ups that cannot use OpenSSL's
own check (``check_hostname=False`` with ``assert_hostname``).

Rules of RFC 6125 §6.4 (DNS names, one wildcard at most, only in the left-most
label) and RFC 9110 §4.3.5 (IP addresses compared as addresses, only against
iPAddress entries).  The subject commonName is consulted only on request and
only when the certificate has no subjectAltName, as urllib3 does.
"""

from __future__ import annotations

import ipaddress
import re
import typing
from ipaddress import IPv4Address, IPv6Address

if typing.TYPE_CHECKING:  # pragma: no cover
    from .ssl_ import _TYPE_PEER_CERT_RET_DICT

__all__ = ["CertificateError", "match_hostname"]

__version__ = "3.5.0.1"


class CertificateError(ValueError):
    """The certificate does not match the host name (or is unusable for the check)."""


def _dnsname_match(dn: typing.Any, hostname: str, max_wildcards: int = 1) -> bool:
    """Whether the certificate name *dn* matches *hostname* (RFC 6125 §6.4.3).

    :raises CertificateError: if the left-most label has more than
        *max_wildcards* wildcards (refused to keep matching cheap).
    """
    if not dn:
        return False
    leftmost, dot, remainder = dn.partition(".")
    wildcards = leftmost.count("*")
    if wildcards > max_wildcards:
        raise CertificateError("too many wildcards in certificate DNS name: " + repr(dn))
    if not wildcards:
        return bool(dn.lower() == hostname.lower())

    if leftmost == "*":
        # A whole-label wildcard stands for exactly one non-empty label.
        first = "[^.]+"
    elif leftmost.startswith("xn--") or hostname.startswith("xn--"):
        # §6.4.3 item 3: no wildcard inside an A-label or U-label; take the
        # '*' literally.
        first = re.escape(leftmost)
    else:
        # A partial wildcard ("www*") stands for any run of non-dot chars.
        first = re.escape(leftmost).replace(r"\*", "[^.]*")
    # Wildcards beyond the left-most label are literal characters.
    pattern = first + (r"\." + re.escape(remainder) if dot else "")
    return re.fullmatch(pattern, hostname, re.IGNORECASE) is not None


def _ipaddress_match(ipname: str, host_ip: IPv4Address | IPv6Address) -> bool:
    """Whether the iPAddress entry *ipname* is the address *host_ip*
    (compared as packed bytes, RFC 9110 §4.3.5)."""
    # OpenSSL may leave a trailing newline on the entry.
    return ipaddress.ip_address(ipname.rstrip()).packed == host_ip.packed


def match_hostname(
    cert: _TYPE_PEER_CERT_RET_DICT | None,
    hostname: str,
    hostname_checks_common_name: bool = False,
) -> None:
    """Check that *cert* (as returned by ``SSLSocket.getpeercert()``) is
    valid for *hostname*; return ``None`` if it is.

    :raises ValueError: if *cert* is empty (the socket did not verify).
    :raises CertificateError: if no name in the certificate matches.
    """
    if not cert:
        raise ValueError(
            "empty or no certificate, match_hostname needs a SSL socket or SSL context "
            "with either CERT_OPTIONAL or CERT_REQUIRED"
        )
    try:
        host_ip: IPv4Address | IPv6Address | None = ipaddress.ip_address(hostname)
    except ValueError:
        host_ip = None

    names: list[str] = []
    for kind, value in cert.get("subjectAltName", ()):
        if kind == "DNS":
            if host_ip is None and _dnsname_match(value, hostname):
                return
            names.append(value)
        elif kind == "IP Address":
            if host_ip is not None and _ipaddress_match(value, host_ip):
                return
            names.append(value)

    if hostname_checks_common_name and host_ip is None and not names:
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    if _dnsname_match(value, hostname):
                        return
                    names.append(value)

    if len(names) > 1:
        raise CertificateError(f"hostname {hostname!r} doesn't match either of {', '.join(map(repr, names))}")
    if len(names) == 1:
        raise CertificateError(f"hostname {hostname!r} doesn't match {names[0]!r}")
    raise CertificateError("no appropriate subjectAltName fields were found")

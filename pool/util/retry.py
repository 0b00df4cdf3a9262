"""Retry: how many times, and after how long, a request is tried again.

Same names, defaults and counting rules as urllib3 2.x's ``urllib3.util.retry``.
Retry-After is read per RFC 9110 §10.2.3 (delay-seconds or an HTTP-date).

Retry-After is clamped to ``retry_after_max`` (6 hours by default) and slept
for, as urllib3 2.8 does.  A service that must not be held that long by a
server's say-so sets ``retry_after_limit``: a longer Retry-After then makes
:meth:`Retry.sleep` raise :exc:`MaxRetryError` (reason: a
:exc:`ResponseError` naming both numbers) at once.  The pool calls
``retries.sleep(response, _pool=self, url=url)`` so the error carries the
pool and URL.

A Retry is treated as immutable: :meth:`increment` returns a new object, so
one Retry (and :attr:`Retry.DEFAULT`) can be shared by every request.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import typing
import warnings
from types import TracebackType

from .._cache import BoundedCache
from ..exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
)
from .util import reraise

if typing.TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

    from ..connectionpool import ConnectionPool
    from ..response import BaseHTTPResponse

__all__ = ["Retry", "RequestHistory"]

log = logging.getLogger(__name__)


class RequestHistory(typing.NamedTuple):
    """One attempt that led to a retry: what was asked, and what went wrong
    (an error, a status in ``status_forcelist``, or a redirect)."""

    method: str | None
    url: str | None
    error: Exception | None
    status: int | None
    redirect_location: str | None


# Keyword arguments of new() that need none of __init__'s normalisation, as
# long as they aren't False (False for total/redirect changes other fields).
_PLAIN_FIELDS = frozenset(("total", "connect", "read", "redirect", "status", "other", "history"))

# from_int() results for plain int/bool/None arguments, shared because a Retry
# is never mutated.  Bounded: callers could pass any int.
# Retry.from_int's results for int and bool counts (Retry objects are never
# changed in place, so they can be shared): saves about 0.6 us per request.
_FROM_INT_CACHE: BoundedCache[tuple[type, type, object, bool], Retry] = BoundedCache(64)

_WHITESPACE = " \t\r\n\x0b\x0c"
# More digits than this in a delay-seconds Retry-After is longer than any cap.
_MAX_DELAY_DIGITS = 18


class Retry:
    """Retry configuration.

    Every attempt that fails produces a new Retry with its counters lowered
    (:meth:`increment`); the object you pass in is never changed, so it can be
    shared by a pool and reused across requests.

    .. code-block:: python

        http = PoolManager(retries=Retry(connect=5, read=2, redirect=5))
        http.request("GET", "https://example.com/", retries=Retry(10))
        http.request("GET", "https://example.com/", retries=False)

    When retries run out, the cause is wrapped in :exc:`MaxRetryError`; with
    ``retries=False`` the cause itself is raised.

    :param total: Upper bound on all retries together; takes precedence over
        the specific counts.  ``None`` leaves only the specific counts; ``0``
        fails on the first retry; ``False`` disables retrying and implies
        ``raise_on_redirect=False``.
    :param connect: Retries on errors raised before the request reached the
        server (connection errors); those are safe to repeat.
    :param read: Retries on errors after the request was sent (read timeouts,
        protocol errors); only for methods in ``allowed_methods``.
    :param redirect: Redirects to follow (301, 302, 303, 307, 308).  ``False``
        disables following and implies ``raise_on_redirect=False``.
    :param status: Retries on responses whose status is in ``status_forcelist``.
    :param other: Retries on any other error.  With ``total=None`` set this to
        0 so that unexpected errors cannot loop forever.
    :param allowed_methods: Upper-case methods that may be retried (by default
        the idempotent ones, :attr:`DEFAULT_ALLOWED_METHODS`).  ``None``: any.
    :param status_forcelist: Statuses that force a retry when the method is
        allowed.  Default: none.
    :param backoff_factor: Sleep ``backoff_factor * 2 ** (n - 1)`` seconds
        before a retry, where ``n`` is the number of consecutive failed
        attempts so far; no sleep after the first failure.  Default 0: no
        backoff.
    :param backoff_max: Upper bound of that sleep (:attr:`DEFAULT_BACKOFF_MAX`).
    :param backoff_jitter: Adds ``random.uniform(0, backoff_jitter)`` seconds to
        each backoff (still capped by ``backoff_max``).
    :param raise_on_redirect: When redirects run out, raise
        :exc:`MaxRetryError` (True) or return the 3xx response (False).
    :param raise_on_status: When ``status`` retries run out, raise (True) or
        return the last response (False).
    :param history: The :class:`RequestHistory` entries of earlier attempts,
        oldest first.
    :param respect_retry_after_header: Honour Retry-After on statuses in
        :attr:`RETRY_AFTER_STATUS_CODES`.
    :param remove_headers_on_redirect: Headers dropped from the request when a
        redirect goes to another host (compared case-insensitively).
    :param retry_after_max: Retry-After values above this many seconds are
        clamped to it (:attr:`DEFAULT_RETRY_AFTER_MAX`, 6 hours), as urllib3
        does.
    :param retry_after_limit: Retry-After values above this many seconds are
        not waited for: :meth:`sleep` raises :exc:`MaxRetryError` at once.
        ``None`` (default): no limit, only the clamp.  pool's own knob.
    """

    #: Methods retried by default: the idempotent ones (RFC 9110 §9.2.2).
    DEFAULT_ALLOWED_METHODS = frozenset(["HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"])

    #: Statuses on which a Retry-After header causes a retry.
    RETRY_AFTER_STATUS_CODES = frozenset([413, 429, 503])

    #: Headers removed from a request redirected to another host.
    DEFAULT_REMOVE_HEADERS_ON_REDIRECT = frozenset(["Cookie", "Authorization", "Proxy-Authorization"])

    #: Default upper bound for one backoff sleep, in seconds.
    DEFAULT_BACKOFF_MAX = 120

    #: Default clamp of Retry-After, in seconds (6 hours), as urllib3's.
    DEFAULT_RETRY_AFTER_MAX: typing.Final[int] = 21600

    #: The Retry used when a caller passes ``retries=None``: ``Retry(3)``.
    DEFAULT: typing.ClassVar[Retry]

    def __init__(
        self,
        total: bool | int | None = 10,
        connect: int | None = None,
        read: int | None = None,
        redirect: bool | int | None = None,
        status: int | None = None,
        other: int | None = None,
        allowed_methods: typing.Collection[str] | None = DEFAULT_ALLOWED_METHODS,
        status_forcelist: typing.Collection[int] | None = None,
        backoff_factor: float = 0,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        raise_on_redirect: bool = True,
        raise_on_status: bool = True,
        history: tuple[RequestHistory, ...] | None = None,
        respect_retry_after_header: bool = True,
        remove_headers_on_redirect: typing.Collection[str] = DEFAULT_REMOVE_HEADERS_ON_REDIRECT,
        backoff_jitter: float = 0.0,
        retry_after_max: float = DEFAULT_RETRY_AFTER_MAX,
        retry_after_limit: float | None = None,
    ) -> None:
        self.total = total
        self.connect = connect
        self.read = read
        self.status = status
        self.other = other

        if redirect is False or total is False:
            redirect = 0
            raise_on_redirect = False

        self.redirect = redirect
        self.status_forcelist = status_forcelist or set()
        if not allowed_methods and isinstance(allowed_methods, typing.Collection):
            warnings.warn(
                "Using an empty collection for 'allowed_methods' option to "
                "retry on any verb is deprecated and will skip retries for "
                "all verbs in urllib3 v3.0. Instead use "
                "Retry(..., allowed_methods=None).",
                FutureWarning,
                stacklevel=2,
            )
        self.allowed_methods = allowed_methods
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.retry_after_limit = retry_after_limit
        self.raise_on_redirect = raise_on_redirect
        self.raise_on_status = raise_on_status
        self.history = history or ()
        self.respect_retry_after_header = respect_retry_after_header
        if remove_headers_on_redirect is Retry.DEFAULT_REMOVE_HEADERS_ON_REDIRECT:
            # The common case: share one lower-cased set.
            self.remove_headers_on_redirect = _DEFAULT_REMOVE_LOWER
        else:
            self.remove_headers_on_redirect = frozenset(h.lower() for h in remove_headers_on_redirect)
        self.backoff_jitter = backoff_jitter

    def new(self, **kw: typing.Any) -> Self:
        """Return a copy of this Retry with the given parameters replaced."""
        if type(self).__init__ is Retry.__init__ and _PLAIN_FIELDS.issuperset(kw):
            if kw.get("total") is not False and kw.get("redirect") is not False:
                # Fast path used by increment(): the other fields are already
                # normalised, so copy them instead of running __init__ again.
                clone = object.__new__(type(self))
                d = clone.__dict__
                d.update(self.__dict__)
                d.update(kw)
                if not d["history"]:
                    d["history"] = ()
                return clone
        params = dict(
            total=self.total,
            connect=self.connect,
            read=self.read,
            redirect=self.redirect,
            status=self.status,
            other=self.other,
            allowed_methods=self.allowed_methods,
            status_forcelist=self.status_forcelist,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            retry_after_max=self.retry_after_max,
            retry_after_limit=self.retry_after_limit,
            raise_on_redirect=self.raise_on_redirect,
            raise_on_status=self.raise_on_status,
            history=self.history,
            remove_headers_on_redirect=self.remove_headers_on_redirect,
            respect_retry_after_header=self.respect_retry_after_header,
            backoff_jitter=self.backoff_jitter,
        )
        params.update(kw)
        return type(self)(**params)  # type: ignore[arg-type]

    @classmethod
    def from_int(
        cls,
        retries: Retry | bool | int | None,
        redirect: bool | int | None = True,
        default: Retry | bool | int | None = None,
    ) -> Retry:
        """Turn the ``retries`` argument of a request into a Retry.

        A Retry is returned as is; ``None`` becomes *default* (or
        :attr:`DEFAULT`) without allocating.  An int or bool ``n`` becomes
        ``Retry(n)``, with redirects disabled when *redirect* is falsy; those
        objects are cached and shared, which is safe because a Retry is never
        changed in place.
        """
        if retries is None:
            retries = default if default is not None else cls.DEFAULT
        if isinstance(retries, Retry):
            return retries

        follow = bool(redirect)
        # The type is part of the key: 0 == False and 1 == True as dict keys,
        # but Retry(False) re-raises errors where Retry(0) wraps them.
        key = (cls, type(retries), retries, follow)
        cacheable = type(retries) is int or type(retries) is bool
        if cacheable:
            cached = _FROM_INT_CACHE.get(key)
            if cached is not None:
                return cached
        new_retries = cls(retries, redirect=None if follow else False)
        if cacheable:
            _FROM_INT_CACHE.put(key, new_retries)
        log.debug("Converted retries value: %r -> %r", retries, new_retries)
        return new_retries

    def get_backoff_time(self) -> float:
        """Seconds to wait before the next attempt, from ``backoff_factor``,
        the number of consecutive errors at the end of the history (redirects
        reset the count), ``backoff_jitter`` and ``backoff_max``."""
        consecutive = 0
        for entry in reversed(self.history):
            if entry.redirect_location is not None:
                break
            consecutive += 1
        if consecutive <= 1:
            return 0
        backoff = self.backoff_factor * (2 ** (consecutive - 1))
        if self.backoff_jitter != 0.0:
            backoff += random.random() * self.backoff_jitter
        return float(max(0, min(self.backoff_max, backoff)))

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds from now that a Retry-After value asks for, never negative
        and at most ``retry_after_max``.

        Accepts delay-seconds (``"120"``, surrounding whitespace allowed) and
        an HTTP-date (RFC 9110 §10.2.3).

        :raises InvalidHeader: for any other value.
        """
        return min(self._requested_delay(retry_after), self.retry_after_max)

    def _requested_delay(self, retry_after: str) -> float:
        # What the server asked for, unclamped (see parse_retry_after).
        stripped = retry_after.strip(_WHITESPACE)
        seconds: float
        if stripped.isdigit() and stripped.isascii():
            # A server can send thousands of digits: past any real delay, and
            # past what int() converts, they simply mean "too long".
            seconds = int(stripped) if len(stripped) <= _MAX_DELAY_DIGITS else float("inf")
        else:
            parsed = email.utils.parsedate_tz(retry_after)
            try:
                if parsed is None:
                    raise ValueError
                # A date the platform can't represent (year 99999) is as
                # invalid as no date at all.
                seconds = email.utils.mktime_tz(parsed) - time.time()
            except (ValueError, OverflowError):
                shown = retry_after if len(retry_after) <= 64 else retry_after[:64] + "..."
                raise InvalidHeader(f"Invalid Retry-After header: {shown}") from None
        return max(seconds, 0)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        """The response's Retry-After in seconds, or ``None`` without one."""
        retry_after = response.headers.get("Retry-After")
        if retry_after is None:
            return None
        return self.parse_retry_after(retry_after)

    def check_retry_after(
        self,
        response: BaseHTTPResponse,
        _pool: ConnectionPool | None = None,
        url: str | None = None,
    ) -> float | None:
        """The Retry-After delay of *response* in seconds, clamped to
        ``retry_after_max`` (``None`` without one), refusing a delay above
        ``retry_after_limit`` when that is set.

        The pool calls this before draining a response to fail early; the
        sleeping methods call it too.

        :raises MaxRetryError: when the delay exceeds ``retry_after_limit``;
            its reason is a :exc:`ResponseError` giving both numbers.
        :raises InvalidHeader: when the header is malformed.
        """
        retry_after = response.headers.get("Retry-After")
        if retry_after is None:
            return None
        seconds = self._requested_delay(retry_after)
        limit = self.retry_after_limit
        if limit is not None and seconds > limit:
            reason = ResponseError(f"Retry-After of {seconds:g} seconds exceeds the limit of {limit:g} seconds")
            raise MaxRetryError(_pool, url, reason) from None  # type: ignore[arg-type]
        return min(seconds, self.retry_after_max)

    def sleep_for_retry(
        self,
        response: BaseHTTPResponse,
        _pool: ConnectionPool | None = None,
        url: str | None = None,
    ) -> bool:
        """Sleep for the response's Retry-After; return whether it slept.

        :raises MaxRetryError: when Retry-After exceeds ``retry_after_limit``.
        """
        seconds = self.check_retry_after(response, _pool, url)
        if seconds:
            time.sleep(seconds)
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            time.sleep(backoff)

    def sleep(
        self,
        response: BaseHTTPResponse | None = None,
        _pool: ConnectionPool | None = None,
        url: str | None = None,
    ) -> None:
        """Wait before the next attempt.

        Honours the server's Retry-After when ``respect_retry_after_header`` is
        set (refusing one above ``retry_after_limit``), otherwise sleeps the
        exponential backoff, which is 0 by default.

        :raises MaxRetryError: when Retry-After exceeds ``retry_after_limit``.
        """
        if self.respect_retry_after_header and response:
            if self.sleep_for_retry(response, _pool, url):
                return
        self._sleep_backoff()

    def _is_connection_error(self, err: Exception) -> bool:
        """Errors raised before the server can have seen the request."""
        if isinstance(err, ProxyError):
            err = err.original_error
        return isinstance(err, ConnectTimeoutError)

    def _is_read_error(self, err: Exception) -> bool:
        """Errors raised after the request was (at least partly) sent."""
        return isinstance(err, (ReadTimeoutError, ProtocolError))

    def _is_method_retryable(self, method: str) -> bool:
        """Whether *method* is in ``allowed_methods`` (any method if unset)."""
        if self.allowed_methods and method.upper() not in self.allowed_methods:
            return False
        return True

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether a response with *status_code* to *method* should be retried:
        the method must be allowed, and either the status is in
        ``status_forcelist``, or retries remain and the status is one of
        :attr:`RETRY_AFTER_STATUS_CODES` with a Retry-After header that is
        respected."""
        if not self._is_method_retryable(method):
            return False
        if self.status_forcelist and status_code in self.status_forcelist:
            return True
        return bool(
            self.total
            and self.respect_retry_after_header
            and has_retry_after
            and status_code in self.RETRY_AFTER_STATUS_CODES
        )

    def is_exhausted(self) -> bool:
        """Whether any set counter has gone below zero."""
        # Counters that are None, False or 0 don't count, as in urllib3: 0
        # means "this was the last one allowed", not "already over".
        for count in (self.total, self.connect, self.read, self.redirect, self.status, self.other):
            if count and count < 0:
                return True
        return False

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        """Return a new Retry with the counters for this failure lowered.

        :param method: The request method (read errors are retried only for
            allowed methods).
        :param url: The request URL, recorded in the history.
        :param response: The response, when there was one (a redirect or a
            status in ``status_forcelist``).
        :param error: The error, when the attempt failed with one.
        :raises MaxRetryError: when a counter runs out; its reason is *error*
            or a :exc:`ResponseError`.
        :raises Exception: *error* itself when retries are disabled
            (``total=False``) or the error kind may not be retried.
        """
        if self.total is False and error:
            raise reraise(type(error), error, _stacktrace)

        total = self.total
        if total is not None:
            total -= 1

        kw: dict[str, typing.Any] = {}
        cause = "unknown"
        status = None
        redirect_location = None

        if error and self._is_connection_error(error):
            connect = self.connect
            if connect is False:
                raise reraise(type(error), error, _stacktrace)
            if connect is not None:
                kw["connect"] = connect - 1
        elif error and self._is_read_error(error):
            read = self.read
            if read is False or method is None or not self._is_method_retryable(method):
                raise reraise(type(error), error, _stacktrace)
            if read is not None:
                kw["read"] = read - 1
        elif error:
            if self.other is not None:
                kw["other"] = self.other - 1
        elif response and response.get_redirect_location():
            if self.redirect is not None:
                kw["redirect"] = self.redirect - 1
            cause = "too many redirects"
            redirect_location = response.get_redirect_location() or None
            status = response.status
        else:
            # A status in status_forcelist (or an unknown cause).
            cause = ResponseError.GENERIC_ERROR
            if response and response.status:
                if self.status is not None:
                    kw["status"] = self.status - 1
                cause = ResponseError.SPECIFIC_ERROR.format(status_code=response.status)
                status = response.status

        kw["total"] = total
        kw["history"] = self.history + (RequestHistory(method, url, error, status, redirect_location),)
        new_retry = self.new(**kw)

        if new_retry.is_exhausted():
            reason = error or ResponseError(cause)
            raise MaxRetryError(_pool, url, reason) from reason  # type: ignore[arg-type]

        log.debug("Incremented Retry for (url='%s'): %r", url, new_retry)
        return new_retry

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(total={self.total}, connect={self.connect}, "
            f"read={self.read}, redirect={self.redirect}, status={self.status})"
        )


_DEFAULT_REMOVE_LOWER = frozenset(h.lower() for h in Retry.DEFAULT_REMOVE_HEADERS_ON_REDIRECT)

# What ``retries=None`` means, as in urllib3 since 1.9.
Retry.DEFAULT = Retry(3)

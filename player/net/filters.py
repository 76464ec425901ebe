"""Ready-made request filters: headers, query tokens, HMAC URL signing (as Shaka offers).

A request filter is any callable taking a :class:`~player.net.request.Request` that
changes it in place or returns a replacement, sync or ``async``; list them in
``NetworkConfig.request_filters``. They run before every attempt, so a signature is
computed afresh for each origin and retry. Each helper below can be limited to some
:class:`~player.net.request.RequestType` values.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Collection, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from player.net.request import Request, RequestFilter, RequestType


def append_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` appended to its query, percent-encoded; the URL's existing
    path and query are kept byte for byte (signed tokens stay valid)."""
    if not params:
        return url
    parts = urlsplit(url)
    extra = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in params.items())
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _applies(request: Request, types: Collection[RequestType] | None) -> bool:
    return types is None or request.request_type in types


def header_filter(
    headers: Mapping[str, str] | Callable[[Request], Mapping[str, str]],
    *,
    types: Collection[RequestType] | None = None,
) -> RequestFilter:
    """Set headers (say ``Authorization``) on every request, or on those of ``types``.

    ``headers`` may be a function of the request, for tokens that change over time.
    """

    def apply(request: Request) -> None:
        if _applies(request, types):
            request.headers.update(headers(request) if callable(headers) else headers)

    return apply


def query_filter(
    params: Mapping[str, str] | Callable[[Request], Mapping[str, str]],
    *,
    types: Collection[RequestType] | None = None,
) -> RequestFilter:
    """Append query parameters (an access token, CMCD keys) to every request's URL."""

    def apply(request: Request) -> None:
        if _applies(request, types):
            request.url = append_query(request.url, params(request) if callable(params) else params)

    return apply


def _signature(key: bytes, path: str, query: str) -> str:
    return hmac.new(key, f"{path}?{query}".encode(), hashlib.sha256).hexdigest()


def sign_url(
    url: str,
    key: bytes,
    *,
    ttl_s: float = 300.0,
    now: float | None = None,
    param: str = "sig",
    expires_param: str = "exp",
) -> str:
    """``url`` with an expiry and an HMAC-SHA256 signature appended to its query.

    The signature covers the path and the whole query, expiry included:
    ``hex(HMAC(key, path + "?" + query))``, appended last as ``param``. Origins check
    it with :func:`verify_signed_url`.
    """
    expires = int((time.time() if now is None else now) + ttl_s)
    parts = urlsplit(url)
    query = (
        f"{parts.query}&{expires_param}={expires}" if parts.query else f"{expires_param}={expires}"
    )
    sig = _signature(key, parts.path, query)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, f"{query}&{param}={sig}", ""))


def verify_signed_url(
    path_and_query: str,
    key: bytes,
    *,
    now: float | None = None,
    param: str = "sig",
    expires_param: str = "exp",
) -> bool:
    """True when a URL (or its path and query) carries a valid, unexpired signature."""
    parts = urlsplit(path_and_query)
    query, sep, sig = parts.query.rpartition(f"&{param}=")
    if not sep or not sig or "&" in sig:
        return False
    expires: int | None = None
    for item in query.split("&"):
        name, _, value = item.partition("=")
        if name == expires_param:
            try:
                expires = int(value)
            except ValueError:
                return False
    if expires is None or expires < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(_signature(key, parts.path, query), sig)


def hmac_signer(
    key: bytes,
    *,
    ttl_s: float = 300.0,
    clock: Callable[[], float] = time.time,
    param: str = "sig",
    expires_param: str = "exp",
    types: Collection[RequestType] | None = None,
) -> RequestFilter:
    """A filter signing every request's URL with :func:`sign_url` (wall-clock expiry)."""

    def apply(request: Request) -> None:
        if _applies(request, types):
            request.url = sign_url(
                request.url, key, ttl_s=ttl_s, now=clock(), param=param, expires_param=expires_param
            )

    return apply

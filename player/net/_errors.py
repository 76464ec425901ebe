"""aiohttp's and the socket's exceptions turned into ``PlayerError(NETWORK, ...)``."""

from __future__ import annotations

import asyncio

import aiohttp

from player.errors import Code, PlayerError

# Retrying these can help; other 4xx name a missing or forbidden resource, for which
# only another origin can help.
RETRYABLE_STATUS = frozenset(
    {408, 425, 429, 500, 502, 503, 504, 507, 508, 509, 520, 521, 522, 523, 524}
)


def status_error(
    status: int, reason: str | None, url: str, retry_after: float | None
) -> PlayerError:
    """A response whose status is not 2xx."""
    retryable = status in RETRYABLE_STATUS or status >= 500
    data: dict[str, object] = {"url": url, "status": status}
    if retry_after is not None:
        data["retry_after_s"] = retry_after
    return PlayerError(
        Code.BAD_HTTP_STATUS,
        f"HTTP {status} {reason or ''}".rstrip() + f" from {url}",
        recoverable=retryable,
        data=data,
    )


def map_exception(
    exc: BaseException, url: str, *, received: int = 0, expected: int | None = None
) -> PlayerError:
    """The typed error for an exception raised while requesting ``url``.

    ``received``/``expected`` are the body bytes read so far and promised, so an early
    end of the body is reported as TRUNCATED_BODY.
    """
    data: dict[str, object] = {"url": url, "cause": f"{type(exc).__name__}: {exc}"}
    if isinstance(exc, aiohttp.ClientPayloadError) or (
        expected is not None and received < expected and isinstance(exc, aiohttp.ClientError)
    ):
        data.update(received=received, expected=expected)
        return PlayerError(
            Code.TRUNCATED_BODY,
            f"body ended early ({received} of {expected or '?'} bytes): {url}",
            recoverable=True,
            data=data,
        )
    if isinstance(exc, aiohttp.ServerTimeoutError | asyncio.TimeoutError):
        # the session only sets aiohttp's connect timeout; our own guard does the rest
        return PlayerError(
            Code.CONNECT_TIMEOUT, f"connection timed out: {url}", recoverable=True, data=data
        )
    if isinstance(exc, aiohttp.NonHttpUrlClientError):
        return PlayerError(Code.UNSUPPORTED_SCHEME, f"not an http(s) URL: {url}", data=data)
    if isinstance(exc, aiohttp.InvalidURL):
        return PlayerError(Code.MALFORMED_URL, f"malformed URL: {url}", data=data)
    if isinstance(exc, aiohttp.ClientSSLError):
        # a certificate problem will not go away on retry; another origin may do
        return PlayerError(Code.HTTP_ERROR, f"TLS failure: {exc}", data=data)
    if isinstance(exc, aiohttp.TooManyRedirects):
        return PlayerError(Code.HTTP_ERROR, f"too many redirects: {url}", data=data)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return PlayerError(
            Code.HTTP_ERROR,
            f"connection failed ({type(exc).__name__}): {url}",
            recoverable=True,
            data=data,
        )
    if isinstance(exc, ValueError | TypeError | UnicodeError):
        # aiohttp rejects bad header values and URLs with these
        return PlayerError(Code.MALFORMED_URL, f"invalid request for {url}: {exc}", data=data)
    return PlayerError(
        Code.HTTP_ERROR,
        f"request failed ({type(exc).__name__}): {url}",
        recoverable=True,
        data=data,
    )


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the delta-seconds form only)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None

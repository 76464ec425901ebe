"""License traffic over aiohttp: request filters, retries with backoff, typed errors.

Errors: the server cannot be reached (refused connection, DNS, timeout) after the last
attempt is ``LICENSE_SERVER_UNREACHABLE``; an HTTP error status is
``LICENSE_REQUEST_FAILED`` with the status in ``data`` (4xx at once, 5xx/408/429 after the
retries); a response too large is ``LICENSE_RESPONSE_REJECTED``. A system's exchange may
classify an error response first (a PlayReady SOAP fault) to give a better message.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

import aiohttp

from drm.errors import DrmCode, DrmError

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(slots=True)
class LicenseRequest:
    """An HTTP request to a license (or certificate) server; filters may change any field.

    ``kind`` is ``"license"``, ``"renewal"``, ``"release"`` or ``"certificate"``.
    """

    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    kind: str = "license"
    key_system: str = ""


@dataclass(frozen=True, slots=True)
class LicenseResponse:
    """What the server answered."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    request: LicenseRequest


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of a license request (defaults are Shaka Player's ``drm.retryParameters``).

    Attempt ``n`` (from 1) waits ``base_delay_s * backoff_factor**(n-1)`` seconds before
    the next, each delay varied by +/- ``fuzz_factor``; ``timeout_s`` bounds one attempt.
    """

    max_attempts: int = 2
    base_delay_s: float = 1.0
    backoff_factor: float = 2.0
    fuzz_factor: float = 0.5
    timeout_s: float = 30.0

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt ``attempt`` (1-based)."""
        base = self.base_delay_s * self.backoff_factor ** (attempt - 1)
        return max(0.0, base * (1 + random.uniform(-self.fuzz_factor, self.fuzz_factor)))


RequestFilter = Callable[[LicenseRequest], Awaitable[None] | None]
ResponseFilter = Callable[
    [LicenseResponse], Awaitable[LicenseResponse | None] | LicenseResponse | None
]
ErrorClassifier = Callable[[LicenseResponse], DrmError | None]


def bearer_token(token: str | Callable[[], str]) -> RequestFilter:
    """A request filter adding ``Authorization: Bearer <token>`` (a value or a callable)."""

    def add(request: LicenseRequest) -> None:
        value = token() if callable(token) else token
        request.headers["Authorization"] = f"Bearer {value}"

    return add


def static_headers(headers: dict[str, str]) -> RequestFilter:
    """A request filter adding fixed headers (custom data, API keys, ...)."""

    def add(request: LicenseRequest) -> None:
        request.headers.update(headers)

    return add


class LicenseTransport:
    """Sends license and certificate requests with filters and retries.

    Use as an async context manager, or call :meth:`close`; an aiohttp ``ClientSession``
    may be shared by passing ``session`` (it is then not closed here).
    """

    def __init__(
        self,
        *,
        request_filters: Sequence[RequestFilter] = (),
        response_filters: Sequence[ResponseFilter] = (),
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.request_filters: list[RequestFilter] = list(request_filters)
        self.response_filters: list[ResponseFilter] = list(response_filters)
        self.retry = retry or RetryPolicy()
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> LicenseTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session this transport opened."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    async def send(
        self, request: LicenseRequest, *, classify: ErrorClassifier | None = None
    ) -> LicenseResponse:
        """Send ``request`` (after the request filters); the 2xx response (after the
        response filters), or a :class:`DrmError`."""
        for request_filter in self.request_filters:
            try:
                result = request_filter(request)
                if inspect.isawaitable(result):
                    await result
            except DrmError:
                raise
            except Exception as exc:
                raise DrmError(
                    DrmCode.LICENSE_REQUEST_FAILED,
                    f"license request filter failed: {exc!r}",
                    data={"url": request.url},
                ) from exc
        attempts = max(1, self.retry.max_attempts)
        last: DrmError | None = None
        for attempt in range(1, attempts + 1):
            try:
                response = await self._attempt(request)
            except DrmError as err:
                last = err
            else:
                if 200 <= response.status < 300:
                    return await self._filtered(response)
                classified = classify(response) if classify else None
                if classified is not None:
                    raise classified
                last = _status_error(response)
                if response.status not in _RETRY_STATUSES:
                    last.data["attempts"] = attempt
                    raise last
            if attempt < attempts:
                await asyncio.sleep(self.retry.delay(attempt))
        assert last is not None
        last.data["attempts"] = attempts
        raise last

    async def _attempt(self, request: LicenseRequest) -> LicenseResponse:
        timeout = aiohttp.ClientTimeout(total=self.retry.timeout_s)
        try:
            async with self._client().request(
                request.method,
                request.url,
                data=request.body if request.method != "GET" else None,
                headers=request.headers,
                timeout=timeout,
                allow_redirects=True,
            ) as resp:
                body = await _read_bounded(resp)
                return LicenseResponse(
                    str(resp.url), resp.status, dict(resp.headers), body, request
                )
        except DrmError:
            raise
        except TimeoutError as exc:
            raise DrmError(
                DrmCode.LICENSE_SERVER_UNREACHABLE,
                f"license server {request.url} did not answer within {self.retry.timeout_s} s",
                recoverable=True,
                data={"url": request.url, "reason": "timeout"},
            ) from exc
        except (aiohttp.InvalidURL, ValueError) as exc:
            raise DrmError(
                DrmCode.LICENSE_REQUEST_FAILED,
                f"license URL {request.url!r} is not valid: {exc}",
                data={"url": request.url},
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise DrmError(
                DrmCode.LICENSE_SERVER_UNREACHABLE,
                f"license server {request.url} unreachable: {exc}",
                recoverable=True,
                data={"url": request.url, "reason": type(exc).__name__},
            ) from exc

    async def _filtered(self, response: LicenseResponse) -> LicenseResponse:
        for response_filter in self.response_filters:
            try:
                result = response_filter(response)
                if inspect.isawaitable(result):
                    result = await result
            except DrmError:
                raise
            except Exception as exc:
                raise DrmError(
                    DrmCode.LICENSE_RESPONSE_REJECTED,
                    f"license response filter failed: {exc!r}",
                    data={"url": response.url},
                ) from exc
            if isinstance(result, LicenseResponse):
                response = result
        return response


async def _read_bounded(resp: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise DrmError(
                DrmCode.LICENSE_RESPONSE_REJECTED,
                f"license response from {resp.url} exceeds {MAX_RESPONSE_BYTES} bytes",
                data={"url": str(resp.url)},
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _status_error(response: LicenseResponse) -> DrmError:
    excerpt = response.body[:200].decode("utf-8", "replace").strip()
    return DrmError(
        DrmCode.LICENSE_REQUEST_FAILED,
        f"license server {response.url} answered HTTP {response.status}"
        + (f": {excerpt}" if excerpt else ""),
        recoverable=response.status in _RETRY_STATUSES,
        data={"url": response.url, "status": response.status, "body": excerpt},
    )

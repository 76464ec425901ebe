"""The segment fetcher: one aiohttp session per player, retries, failover, timeouts.

:class:`Fetcher` is what the Player facade and the offline store call for every HTTP
resource (manifests, segments, keys). One ``fetch`` call:

1. expands the resource's URLs with the configured alternate origins and orders them
   by origin health (:class:`~player.net.origins.OriginHealth`);
2. tries each origin once per round; a failing origin is penalised and the next one is
   tried at once; when every origin failed with something retrying may cure (5xx, 408,
   429, socket errors, timeouts, a truncated body), the next round starts after the
   :class:`~player.net.retry.RetryPolicy` backoff, up to ``max_attempts`` rounds;
3. streams the body, calling ``on_progress`` per chunk and checking its length against
   ``Content-Length`` (or the byte range);
4. returns a :class:`~player.net.request.FetchResult`, or raises one typed
   ``PlayerError(NETWORK, ...)``.

Errors: a non-2xx status is ``BAD_HTTP_STATUS`` (recoverable for 5xx/408/429); socket
failures ``HTTP_ERROR``; timeouts ``CONNECT_TIMEOUT``/``FIRST_BYTE_TIMEOUT``/
``STALL_TIMEOUT``/``TIMEOUT``; a short body ``TRUNCATED_BODY``. When retries run out the
fetch raises ``RETRIES_EXHAUSTED`` (one origin) or ``ALL_ORIGINS_FAILED`` (several) with
the last error in ``data["cause"]`` and all of them in ``data["errors"]``; a resource
that is simply missing (404 on its only origin) raises the ``BAD_HTTP_STATUS`` itself.
A :class:`~player.net.cancel.CancelToken` stops the fetch with ``REQUEST_CANCELLED``;
cancelling the calling task propagates ``CancelledError`` as asyncio expects. Either
way the connection in use is closed at once.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace, TracebackType
from typing import Any, Protocol

import aiohttp
from yarl import URL

from player.errors import Code, PlayerError
from player.manifest.model import ByteRange
from player.net._errors import map_exception, parse_retry_after, status_error
from player.net._guard import AttemptGuard, Guard
from player.net.cancel import CancelToken
from player.net.config import NetworkConfig
from player.net.filters import append_query
from player.net.origins import OriginHealth, with_alternates
from player.net.request import (
    FetchResult,
    Progress,
    ProgressCallback,
    Request,
    RequestType,
)
from player.net.retry import RetryPolicy, limit

# A URL already percent-encoded and safe to send as is (signed URLs must not be
# re-encoded, or the signature no longer matches).
_ENCODED_URL = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*\Z")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)\s*\Z")


class _Abort(Exception):
    """Stops the retry loop and re-raises ``error`` to the caller unchanged."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True, slots=True)
class _Spec:
    """One fetch's arguments, shared by its attempts."""

    candidates: tuple[str, ...]
    request_type: RequestType
    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str] | None
    body: bytes | None
    byte_range: ByteRange | None
    on_progress: ProgressCallback | None
    policy: RetryPolicy
    max_bytes: int
    context: Mapping[str, Any]


class _Sink(Protocol):
    """Where an attempt's body goes."""

    def begin(self) -> tuple[int, Callable[[bytes], Awaitable[None] | None]]:
        """Before an attempt: the resource offset to fetch from, and the chunk consumer."""
        ...

    def finish(self, result: FetchResult) -> FetchResult:
        """After the successful attempt: the result to return."""
        ...


class _Collector:
    """fetch(): keep the body of the attempt that succeeds; a failed one's bytes go."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def begin(self) -> tuple[int, Callable[[bytes], Awaitable[None] | None]]:
        self._chunks = []
        return 0, self._chunks.append

    def finish(self, result: FetchResult) -> FetchResult:
        chunks = self._chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return replace(result, data=data, streamed_bytes=None)


class _Forwarder:
    """stream(): hand chunks to the consumer; a retry resumes after what was handed."""

    def __init__(self, queue: asyncio.Queue[bytes | None]) -> None:
        self._queue = queue
        self.delivered = 0

    def begin(self) -> tuple[int, Callable[[bytes], Awaitable[None] | None]]:
        return self.delivered, self._put

    def _put(self, chunk: bytes) -> Awaitable[None] | None:
        self.delivered += len(chunk)
        if self._queue.full():
            return self._queue.put(chunk)
        self._queue.put_nowait(chunk)
        return None

    def finish(self, result: FetchResult) -> FetchResult:
        return result


class Download:
    """A body being streamed by :meth:`Fetcher.stream`: an async iterator of chunks.

    A background task runs the fetch and fills a bounded queue; iterating takes from
    it. ``result`` (timings of the last attempt, ``data`` empty) and ``nbytes`` (bytes
    delivered in all) are set when the body is complete. Errors are raised from the
    iteration; leaving ``async with`` (or :meth:`aclose`) stops the transfer.
    """

    def __init__(
        self, fetcher: Fetcher, spec: _Spec, cancel: CancelToken | None, buffer_chunks: int
    ) -> None:
        self._fetcher = fetcher
        self._spec = spec
        self._cancel = cancel
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=max(1, buffer_chunks))
        self._task: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self._finished = False
        self.result: FetchResult | None = None
        self.nbytes = 0

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._produce())

    async def _produce(self) -> None:
        forwarder = _Forwarder(self._queue)
        try:
            self.result = await self._fetcher._run(self._spec, self._cancel, forwarder)
        except Exception as exc:  # a PlayerError, or the caller's progress callback's
            self._error = exc
        finally:
            self.nbytes = forwarder.delivered
        await self._queue.put(None)

    async def __aenter__(self) -> Download:
        self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> Download:
        self._start()
        return self

    async def __anext__(self) -> bytes:
        self._start()
        if self._finished:
            raise StopAsyncIteration
        chunk = await self._queue.get()
        if chunk is None:
            self._finished = True
            if self._error is not None:
                raise self._error
            raise StopAsyncIteration
        return chunk

    async def read(self) -> bytes:
        """Everything that is left, joined (for tests and small bodies)."""
        return b"".join([chunk async for chunk in self])

    async def aclose(self) -> None:
        """Stop the transfer (the connection is closed) if it is still running."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])  # not ``await task``: keep our own cancellation


async def _on_request_headers_sent(
    session: aiohttp.ClientSession,
    ctx: SimpleNamespace,
    params: aiohttp.TraceRequestHeadersSentParams,
) -> None:
    guard = ctx.trace_request_ctx
    if isinstance(guard, AttemptGuard):
        guard.request_sent()


def _to_url(url: str) -> URL:
    try:
        target = URL(url, encoded=True) if _ENCODED_URL.match(url) else URL(url)
        host, _ = target.host, target.port  # yarl parses the authority lazily
    except (ValueError, TypeError) as exc:
        raise PlayerError(
            Code.MALFORMED_URL, f"malformed URL {url!r}: {exc}", data={"url": url}
        ) from None
    if target.scheme not in ("http", "https"):
        raise PlayerError(
            Code.UNSUPPORTED_SCHEME,
            f"only http and https URLs can be fetched, not {url!r}",
            data={"url": url},
        )
    if not host:
        raise PlayerError(Code.MALFORMED_URL, f"URL without a host: {url!r}", data={"url": url})
    return target


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Fetcher:
    """Fetches HTTP resources for one player over one pooled ``aiohttp.ClientSession``.

    ``config`` sets retries, timeouts, origins and filters (:class:`NetworkConfig`).
    Without ``session`` the fetcher makes its own on first use (keep-alive pool sized by
    the config, a trace hook timing the first byte) and closes it in :meth:`close`; a
    given session is used as is and left open. ``health`` may be shared between
    fetchers; ``clock`` stamps results and progress; ``sleep`` and ``rng`` drive the
    backoff (inject them to test it).
    """

    def __init__(
        self,
        config: NetworkConfig | None = None,
        session: aiohttp.ClientSession | None = None,
        *,
        health: OriginHealth | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config or NetworkConfig()
        self.health = health or OriginHealth(self.config.origin_penalty_s, clock)
        self._session = session
        self._owns_session = session is None
        self._traced = False
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._timeouts: dict[RetryPolicy, aiohttp.ClientTimeout] = {}
        self._closed = False

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if the fetcher made it. Later fetches raise INVALID_STATE."""
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The session in use (created on first use when none was given)."""
        if self._closed:
            raise PlayerError(Code.INVALID_STATE, "the fetcher is closed")
        if self._session is None:
            trace = aiohttp.TraceConfig()
            trace.on_request_headers_sent.append(_on_request_headers_sent)
            cfg = self.config
            connector = aiohttp.TCPConnector(
                limit=cfg.max_connections,
                limit_per_host=cfg.max_connections_per_host,
                keepalive_timeout=cfg.keepalive_s,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trace_configs=[trace],
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": cfg.user_agent},
                read_bufsize=cfg.read_bufsize,
            )
            self._traced = True
        return self._session

    async def fetch(
        self,
        urls: str | Sequence[str],
        *,
        byte_range: ByteRange | None = None,
        on_progress: ProgressCallback | None = None,
        request_type: RequestType = RequestType.SEGMENT,
        cancel: CancelToken | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        method: str = "GET",
        body: bytes | None = None,
        retry: RetryPolicy | None = None,
        max_bytes: int | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> FetchResult:
        """Fetch one resource from the first origin that serves it.

        ``urls`` are the resource's candidate URLs, preferred first (a segment's
        ``urls``); ``byte_range`` is sent as a ``Range`` header (a server answering 200
        is sliced). ``headers`` and ``query`` are added to every attempt (CMCD keys);
        ``retry`` overrides the config's policy for this request type; ``max_bytes``
        bounds the body; ``context`` is handed to request filters.

        ``on_progress`` is called once per chunk received (feed the estimator, drive an
        ABR policy's ``should_abandon``); to abandon the download, call ``cancel()`` on
        the ``cancel`` token, from the callback or anywhere on the loop: the fetch then
        raises ``REQUEST_CANCELLED`` and its connection is closed. An exception raised
        by the callback stops the fetch and reaches the caller unchanged. A failed
        attempt's bytes are dropped; the next attempt starts from the beginning.
        """
        spec = self._spec(
            urls,
            byte_range,
            on_progress,
            request_type,
            headers,
            query,
            method,
            body,
            retry,
            max_bytes,
            context,
        )
        return await self._run(spec, cancel, _Collector())

    def stream(
        self,
        urls: str | Sequence[str],
        *,
        byte_range: ByteRange | None = None,
        on_progress: ProgressCallback | None = None,
        request_type: RequestType = RequestType.SEGMENT,
        cancel: CancelToken | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        max_bytes: int | None = None,
        context: Mapping[str, Any] | None = None,
        buffer_chunks: int = 16,
    ) -> Download:
        """Stream a large body chunk by chunk instead of holding it in memory::

            async with fetcher.stream(urls) as download:
                async for chunk in download:
                    out.write(chunk)
            download.result  # timings of the last attempt, ``data`` empty

        Same retries, failover and errors as :meth:`fetch`, with one difference: when a
        transfer breaks after bytes were handed out, the next attempt asks only for the
        rest (a ``Range`` from the delivered offset), so no byte is delivered twice.
        At most ``buffer_chunks`` chunks wait for the consumer; while they wait, the
        stall and attempt timeouts are paused. Iterate in one task, inside ``async with``
        (leaving it stops the transfer).
        """
        spec = self._spec(
            urls,
            byte_range,
            on_progress,
            request_type,
            headers,
            query,
            "GET",
            None,
            retry,
            max_bytes,
            context,
        )
        return Download(self, spec, cancel, buffer_chunks)

    def _spec(
        self,
        urls: str | Sequence[str],
        byte_range: ByteRange | None,
        on_progress: ProgressCallback | None,
        request_type: RequestType,
        headers: Mapping[str, str] | None,
        query: Mapping[str, str] | None,
        method: str,
        body: bytes | None,
        retry: RetryPolicy | None,
        max_bytes: int | None,
        context: Mapping[str, Any] | None,
    ) -> _Spec:
        return _Spec(
            candidates=tuple(self._candidates(urls)),
            request_type=request_type,
            method=method,
            headers=dict(headers or {}),
            query=query,
            body=body,
            byte_range=byte_range,
            on_progress=on_progress,
            policy=retry or self.config.retry_for(request_type),
            max_bytes=self.config.max_response_bytes if max_bytes is None else max_bytes,
            context=dict(context or {}),
        )

    async def _run(self, spec: _Spec, cancel: CancelToken | None, sink: _Sink) -> FetchResult:
        """The retry loop under a guard that a cancel token can fire."""
        first = spec.candidates[0]
        async with Guard() as guard:
            unsubscribe: Callable[[], None] | None = None
            if cancel is not None:
                unsubscribe = cancel.subscribe(
                    lambda reason: guard.fire(self._cancelled(first, reason))
                )
            try:
                if cancel is not None and cancel.cancelled:
                    raise self._cancelled(first, cancel.reason or "cancelled")
                return await self._with_retries(spec, guard, sink)
            except _Abort as abort:
                raise abort.error from None
            finally:
                if unsubscribe is not None:
                    unsubscribe()
        raise AssertionError("unreachable")  # pragma: no cover - the guard re-raises

    # -- the retry loop ------------------------------------------------------------------

    async def _with_retries(self, spec: _Spec, guard: Guard, sink: _Sink) -> FetchResult:
        errors: list[PlayerError] = []
        excluded: set[str] = set()
        attempts = 0
        retry_after: float | None = None
        retryable = False
        for round_no in range(1, spec.policy.max_attempts + 1):
            if round_no > 1:
                delay = spec.policy.delay_s(round_no - 1, self._rng)
                if retry_after is not None:
                    delay = max(delay, min(retry_after, spec.policy.max_retry_after_s))
                if delay > 0:
                    await self._sleep(delay)
            retry_after, retryable = None, False
            for url in self.health.order(u for u in spec.candidates if u not in excluded):
                self._check(guard)
                attempts += 1
                try:
                    offset, push = sink.begin()
                    result = await self._attempt(spec, url, attempts, guard, offset, push)
                except PlayerError as err:
                    err.data.setdefault("attempt", attempts)
                    errors.append(err)
                    if err.recoverable:
                        retryable = True
                        self.health.penalise(url)
                        ra = err.data.get("retry_after_s")
                        if isinstance(ra, float):
                            retry_after = ra if retry_after is None else max(retry_after, ra)
                    else:
                        excluded.add(url)  # the resource is not there; other origins may have it
                    continue
                self.health.reward(url)
                result = sink.finish(replace(result, attempts=attempts, failures=tuple(errors)))
                return await self._filter_response(result)
            if not retryable:
                break
        raise self._failure(spec, errors, attempts, exhausted=retryable)

    def _failure(
        self, spec: _Spec, errors: list[PlayerError], attempts: int, *, exhausted: bool
    ) -> PlayerError:
        last = errors[-1]
        summary = [
            {"url": e.data.get("url"), "code": e.code.name, "message": e.message} for e in errors
        ]
        data: dict[str, Any] = {
            "url": spec.candidates[0],
            "urls": list(spec.candidates),
            "attempts": attempts,
            "cause": last,
            "errors": summary,
        }
        if len(spec.candidates) == 1 and not exhausted:
            last.data.update(attempts=attempts, errors=summary)
            return last
        recoverable = any(e.recoverable for e in errors)
        if len(spec.candidates) == 1:
            return PlayerError(
                Code.RETRIES_EXHAUSTED,
                f"gave up after {attempts} attempts: {last.message}",
                recoverable=recoverable,
                data=data,
            )
        return PlayerError(
            Code.ALL_ORIGINS_FAILED,
            f"all {len(spec.candidates)} origins failed ({attempts} attempts); "
            f"last: {last.message}",
            recoverable=recoverable,
            data=data,
        )

    # -- one attempt ---------------------------------------------------------------------

    async def _attempt(
        self,
        spec: _Spec,
        url: str,
        attempt: int,
        guard: Guard,
        offset: int,
        push: Callable[[bytes], Awaitable[None] | None],
    ) -> FetchResult:
        """One HTTP exchange; the body (from ``offset`` of the resource) goes to ``push``.

        The result's ``data`` is empty; ``streamed_bytes`` counts what was pushed.
        """
        byte_range = spec.byte_range
        if offset:  # resuming a stream: ask only for what was not delivered yet
            start = offset if byte_range is None else byte_range.start + offset
            byte_range = ByteRange(start, None if byte_range is None else byte_range.end)
        request = Request(
            url=append_query(url, spec.query) if spec.query else url,
            request_type=spec.request_type,
            method=spec.method,
            headers=dict(spec.headers),
            body=spec.body,
            byte_range=byte_range,
            attempt=attempt,
            origin_index=spec.candidates.index(url),
            context=spec.context,
        )
        if byte_range is not None:
            request.headers["Range"] = byte_range.header()
        request = await self._filter_request(request)
        target = _to_url(request.url)
        session = self.session
        timeout = self._client_timeout(spec.policy)
        loop = asyncio.get_running_loop()
        clock = self._clock
        on_progress = spec.on_progress
        received, pushed, expected = 0, 0, None
        async with AttemptGuard(spec.policy, url, traced=self._traced) as watch:
            started = clock()
            response: aiohttp.ClientResponse | None = None
            try:
                response = await session.request(
                    request.method,
                    target,
                    headers=request.headers,
                    data=request.body,
                    timeout=timeout,
                    trace_request_ctx=watch,
                    read_bufsize=self.config.read_bufsize,
                )
                watch.headers_received()
                first_byte = clock()
                status = response.status
                if not 200 <= status < 300:
                    raise status_error(
                        status,
                        response.reason,
                        url,
                        parse_retry_after(response.headers.get("Retry-After")),
                    )
                expected, keep = self._expected_length(response, byte_range, url)
                skip = keep[0] if keep is not None else 0
                if expected is not None and expected > spec.max_bytes + skip:
                    raise _Abort(self._too_large(url, expected, spec.max_bytes))
                content = response.content
                limit_bytes = spec.max_bytes + skip
                while True:
                    chunk = await content.readany()
                    if not chunk:
                        break
                    size = len(chunk)
                    received += size
                    watch.last_data = loop.time()
                    if received > limit_bytes:
                        raise _Abort(self._too_large(url, received, spec.max_bytes))
                    if keep is not None:  # a 200 to a range request: cut the range out
                        lo, hi = keep
                        pos = received - size
                        chunk = chunk[max(lo - pos, 0) : size if hi is None else max(hi - pos, 0)]
                    if chunk:
                        pushed += len(chunk)
                        waiting = push(chunk)
                        if waiting is not None:  # a slow consumer is not a slow network
                            watch.pause()
                            await waiting
                            watch.resume()
                    if on_progress is not None:
                        try:
                            on_progress(
                                Progress(
                                    received,
                                    expected,
                                    clock(),
                                    started,
                                    first_byte,
                                    url,
                                    attempt,
                                    size,
                                )
                            )
                        except Exception as exc:  # the caller's callback: give it back as is
                            raise _Abort(exc) from exc
                        self._check(guard)
                finished = clock()
                if expected is not None and received < expected:
                    raise map_exception(
                        aiohttp.ClientPayloadError("connection closed before the body ended"),
                        url,
                        received=received,
                        expected=expected,
                    )
            except (PlayerError, _Abort):
                if response is not None:
                    response.close()
                raise
            except (aiohttp.ClientError, OSError, ValueError, TypeError) as exc:
                if response is not None:
                    response.close()
                raise map_exception(exc, url, received=received, expected=expected) from exc
            except BaseException:  # cancelled: drop the connection at once
                if response is not None:
                    response.close()
                raise
            response.release()
        return FetchResult(
            data=b"",
            url=url,
            status=status,
            headers=response.headers,
            started=started,
            first_byte=first_byte,
            finished=finished,
            attempts=attempt,
            request_type=spec.request_type,
            streamed_bytes=pushed,
        )

    def _expected_length(
        self, response: aiohttp.ClientResponse, byte_range: ByteRange | None, url: str
    ) -> tuple[int | None, tuple[int, int | None] | None]:
        """The body length the server promised, and the part of the body to keep
        (``[lo, hi)``, None for all of it)."""
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        length = response.content_length if encoding in ("", "identity") else None
        if byte_range is None:
            return length, None
        if response.status == 206:
            match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if match is None or int(match.group(1)) != byte_range.start:
                raise PlayerError(
                    Code.HTTP_ERROR,
                    f"206 with a Content-Range not matching {byte_range.header()}: {url}",
                    data={"url": url, "content_range": response.headers.get("Content-Range")},
                )
            return int(match.group(2)) - int(match.group(1)) + 1, None
        # 200 to a range request: the whole body comes; the range is cut out of it
        return length, (byte_range.start, None if byte_range.end is None else byte_range.end + 1)

    # -- helpers -------------------------------------------------------------------------

    def _candidates(self, urls: str | Sequence[str]) -> list[str]:
        listed = [urls] if isinstance(urls, str) else list(urls)
        if not listed or not all(isinstance(u, str) and u for u in listed):
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"fetch needs at least one URL string, got {urls!r}"
            )
        return with_alternates(listed, self.config.alternate_origins)

    def _client_timeout(self, policy: RetryPolicy) -> aiohttp.ClientTimeout:
        timeout = self._timeouts.get(policy)
        if timeout is None:
            # only the TCP connect is left to aiohttp; AttemptGuard times the rest
            timeout = aiohttp.ClientTimeout(
                total=None,
                connect=None,
                sock_read=None,
                sock_connect=limit(policy.connect_timeout_s),
            )
            self._timeouts[policy] = timeout
        return timeout

    @staticmethod
    def _check(guard: Guard) -> None:
        try:
            guard.check()
        except PlayerError as err:
            raise _Abort(err) from None

    @staticmethod
    def _cancelled(url: str, reason: str) -> PlayerError:
        return PlayerError(
            Code.REQUEST_CANCELLED,
            f"request cancelled ({reason}): {url}",
            data={"url": url, "reason": reason},
        )

    @staticmethod
    def _too_large(url: str, size: int, max_bytes: int) -> PlayerError:
        return PlayerError(
            Code.RESPONSE_TOO_LARGE,
            f"response of {size} bytes exceeds the {max_bytes}-byte limit: {url}",
            data={"url": url, "size": size, "max_bytes": max_bytes},
        )

    async def _filter_request(self, request: Request) -> Request:
        for f in self.config.request_filters:
            try:
                result = await _maybe_await(f(request))
            except PlayerError as err:
                raise _Abort(err) from None
            except Exception as exc:
                raise _Abort(
                    PlayerError(
                        Code.REQUEST_FILTER_FAILED,
                        f"request filter {getattr(f, '__qualname__', f)!r} failed: {exc}",
                        data={"url": request.url, "cause": repr(exc)},
                    )
                ) from exc
            if isinstance(result, Request):
                request = result
        return request

    async def _filter_response(self, result: FetchResult) -> FetchResult:
        for f in self.config.response_filters:
            try:
                out = await _maybe_await(f(result))
            except PlayerError as err:
                raise _Abort(err) from None
            except Exception as exc:
                raise _Abort(
                    PlayerError(
                        Code.REQUEST_FILTER_FAILED,
                        f"response filter {getattr(f, '__qualname__', f)!r} failed: {exc}",
                        data={"url": result.url, "cause": repr(exc)},
                    )
                ) from exc
            if isinstance(out, FetchResult):
                result = out
        return result

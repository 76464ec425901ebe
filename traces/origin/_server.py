"""The shaped origin: a real aiohttp server on loopback that imposes network conditions."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import socket
import struct
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from aiohttp import web

from player.errors import Code, PlayerError
from traces.origin._faults import FaultInjector, FaultKind, FaultSpec, parse_faults
from traces.origin._link import SharedLink
from traces.origin._static import (
    Body,
    ByteSpan,
    RangeNotSatisfiable,
    parse_range,
    resolve_path,
)
from traces.trace import Trace

if TYPE_CHECKING:
    from traces.origin._live import LiveConfig, LiveSource

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, Content-Type",
}
_BODY_FAULTS = (FaultKind.RESET, FaultKind.TRUNCATE, FaultKind.STALL)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the origin saw it (kept in :attr:`OriginStats.log`)."""

    method: str
    path: str
    status: int  # 0 when the connection was reset before a status line
    fault: FaultKind | None
    body_bytes: int


@dataclass(slots=True)
class OriginStats:
    """What an origin has done so far."""

    requests: int = 0
    bytes_sent: int = 0  # body bytes handed to the socket
    statuses: Counter[int] = field(default_factory=Counter)
    faults: Counter[FaultKind] = field(default_factory=Counter)
    log: deque[RequestRecord] = field(default_factory=lambda: deque(maxlen=10_000))

    @property
    def faults_injected(self) -> int:
        """Total number of injected faults of every kind."""
        return sum(self.faults.values())


class ShapedOrigin:
    """A static (or live) HTTP origin on loopback that delivers every response through one
    shared bottleneck following a bandwidth trace, with latency and injected faults.

    - ``directory``: the folder served (GET and HEAD, single byte ranges, streaming
      content types; see :data:`traces.origin.CONTENT_TYPES`).
    - ``trace``: the link's bandwidth over time, None for an unshaped link. All response
      bodies share it (a token bucket refilled at the trace's rate over wall time).
    - ``latency_ms``: added before every response's headers, on top of the trace's own
      per-request latency (Sabre traces carry 20 ms).
    - ``time_scale``: K plays the trace K times faster: trace time = wall seconds since
      start x K. Only the trace's time axis moves faster; its rates and latencies are
      unchanged, so a 10-minute trace at K=10 passes in one minute with the same rates.
      Fault outage times are wall-clock seconds and are not scaled.
    - ``faults``: a :class:`FaultSpec` or its spec string (grammar in
      :mod:`traces.origin._faults`); ``seed`` seeds its RNG (overrides the spec's seed).
    - ``live``: a :class:`LiveConfig` to serve the folder's VOD title as live.
    - ``clock``: the monotonic clock of shaping and the outage schedule.

    Use as ``async with ShapedOrigin(dir, trace=t) as origin: ... origin.url``; several
    can run at once (each gets its own port when ``port=0``).
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        trace: Trace | None = None,
        latency_ms: float = 0.0,
        time_scale: float = 1.0,
        faults: FaultSpec | str | None = None,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        live: LiveConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        root = Path(directory)
        if not root.is_dir():
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"not a folder: {root}", data={"path": str(root)}
            )
        if not (math.isfinite(latency_ms) and latency_ms >= 0):
            raise PlayerError(Code.INVALID_ARGUMENT, f"latency must be >= 0 ms, not {latency_ms}")
        if not (math.isfinite(time_scale) and time_scale > 0):
            raise PlayerError(Code.INVALID_ARGUMENT, f"time scale must be > 0, not {time_scale}")
        if not 0 <= port <= 65535:
            raise PlayerError(Code.INVALID_ARGUMENT, f"port out of range: {port}")
        self.root = root.resolve()
        self.trace = trace
        self.latency_s = latency_ms / 1000.0
        self.time_scale = time_scale
        self.faults = parse_faults(faults) if isinstance(faults, str) else faults
        self.host = host
        self._requested_port = port
        self._clock = clock
        self._sleep = sleep
        self.link = SharedLink(
            trace.time_scaled(time_scale) if trace is not None else None,
            clock=clock,
            sleep=sleep,
        )
        self._injector = FaultInjector(self.faults, seed) if self.faults is not None else None
        self.stats = OriginStats()
        self._forced_down = False
        self._t0 = clock()
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._live: LiveSource | None = None
        if live is not None:
            from traces.origin._live import LiveSource

            self._live = LiveSource(self.root, live)

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start serving (idempotent)."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.25)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"cannot listen on {self.host}:{self._requested_port}: {exc.strerror or exc}",
                data={"host": self.host, "port": self._requested_port},
            ) from exc
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._t0 = self._clock()
        self.link.start()
        if self._live is not None:
            self._live.start()

    async def stop(self) -> None:
        """Stop serving; connections in flight are closed."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> ShapedOrigin:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The bound port (0 before :meth:`start`)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL with a trailing slash, e.g. ``http://127.0.0.1:8000/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}/"

    def elapsed(self) -> float:
        """Wall seconds since the origin started (the outage schedule's time)."""
        return self._clock() - self._t0

    def set_down(self, down: bool) -> None:
        """Force the whole server down (True) or let the schedule decide again (False)."""
        self._forced_down = down

    @property
    def is_down(self) -> bool:
        """Whether requests are being reset now (forced or scheduled outage)."""
        if self._forced_down:
            return True
        return self.faults is not None and self.faults.is_down(self.elapsed())

    # -- request handling ----------------------------------------------------------------

    def _record(
        self, request: web.BaseRequest, status: int, fault: FaultKind | None, n: int
    ) -> None:
        self.stats.statuses[status] += 1
        self.stats.log.append(RequestRecord(request.method, request.path, status, fault, n))

    @staticmethod
    def _reset_connection(request: web.BaseRequest) -> None:
        """Drop the connection with a TCP RST (SO_LINGER 0), not a clean FIN."""
        transport = request.transport
        if transport is None:
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.stats.requests += 1
        if self.is_down:
            self._reset_connection(request)
            self.stats.faults[FaultKind.OUTAGE] += 1
            self._record(request, 0, FaultKind.OUTAGE, 0)
            return web.Response(status=503)
        if request.method == "OPTIONS":
            headers = {**_CORS, "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS"}
            headers["Access-Control-Allow-Headers"] = "Range"
            self._record(request, 204, None, 0)
            return web.Response(status=204, headers=headers)
        if request.method not in ("GET", "HEAD"):
            self._record(request, 405, None, 0)
            return web.Response(status=405, headers={**_CORS, "Allow": "GET, HEAD, OPTIONS"})

        fault = self._injector.draw(request.path) if self._injector is not None else None
        delay = self.latency_s + self.link.latency_now()
        if fault is FaultKind.SLOW_FIRST_BYTE and self.faults is not None:
            self.stats.faults[fault] += 1  # counted when injected: the client may give up
            delay += self.faults.slow_first_byte_s
        if delay > 0:
            await self._sleep(delay)
        if fault is FaultKind.ERROR_5XX and self.faults is not None:
            status = self.faults.error_status
            self.stats.faults[fault] += 1
            self._record(request, status, fault, 0)
            return web.Response(status=status, text="injected fault\n", headers=_CORS)

        try:
            body = self._body_for(request.path)
        except PlayerError as err:  # a live segment outside the window (404), bad media
            status = int(err.data.get("status", 500))
            self._record(request, status, None, 0)
            return web.Response(status=status, text=f"{err.message}\n", headers=_CORS)
        if body is None:
            self._record(request, 404, None, 0)
            return web.Response(status=404, text="not found\n", headers=_CORS)

        headers = {**_CORS, "Accept-Ranges": "bytes", "Content-Type": body.content_type}
        if body.cache_control:
            headers["Cache-Control"] = body.cache_control
        try:
            span = parse_range(request.headers.get("Range"), body.size)
        except RangeNotSatisfiable:
            headers["Content-Range"] = f"bytes */{body.size}"
            self._record(request, 416, None, 0)
            return web.Response(status=416, headers=headers)
        status = 200
        if span is not None:
            status = 206
            headers["Content-Range"] = span.content_range()
        else:
            span = ByteSpan(0, body.size - 1, body.size)
        length = max(0, span.length)
        if request.method == "HEAD" or length < 2:
            fault = None if fault in _BODY_FAULTS else fault
        if request.method == "HEAD" and fault is FaultKind.CORRUPT:
            fault = None
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = length
        sent = 0
        try:
            await resp.prepare(request)
            if request.method == "GET":
                sent = await self._send_body(request, resp, body, span.start, length, fault)
                if sent < length:  # the connection was cut on purpose
                    self._record(request, status, fault or FaultKind.OUTAGE, sent)
                    return resp
            await resp.write_eof()
        except ConnectionError:  # the client went away, or the file could not be read
            transport = request.transport
            if transport is not None and not transport.is_closing():
                # A body shorter than its Content-Length must not leave the client
                # waiting on a kept-alive connection.
                self._reset_connection(request)
            self._record(request, status, fault, sent)
            return resp
        self._record(request, status, fault, sent)
        return resp

    def _body_for(self, url_path: str) -> Body | None:
        if self._live is not None:
            live_body = self._live.body_for(url_path)
            if live_body is not None:
                return live_body
        path = resolve_path(self.root, url_path)
        if path is None:
            return None
        try:
            return Body.of_file(path)
        except OSError:  # vanished or unreadable between resolve and stat: not found
            return None

    async def _send_body(
        self,
        request: web.Request,
        resp: web.StreamResponse,
        body: Body,
        offset: int,
        length: int,
        fault: FaultKind | None,
    ) -> int:
        """Write ``length`` bytes from ``offset`` through the link; returns bytes sent
        (fewer than ``length`` when a fault or an outage cut the body)."""
        self.link.transfer_started()
        try:
            return await self._send_chunks(request, resp, body, offset, length, fault)
        finally:
            self.link.transfer_ended()

    async def _send_chunks(
        self,
        request: web.Request,
        resp: web.StreamResponse,
        body: Body,
        offset: int,
        length: int,
        fault: FaultKind | None,
    ) -> int:
        cut = length // 2 if fault in _BODY_FAULTS else None
        # Garbage of the body's length, the same for the same resource and range.
        garbage = random.Random(f"{body.path}:{offset}") if fault is FaultKind.CORRUPT else None
        if garbage is not None:
            self.stats.faults[FaultKind.CORRUPT] += 1
        sent = 0
        with _Reader(body, offset) as reader:
            while sent < length:
                if self.is_down:
                    self._reset_connection(request)
                    self.stats.faults[FaultKind.OUTAGE] += 1
                    return sent
                n = min(self.link.chunk_size(), length - sent)
                if cut is not None and sent < cut:
                    n = min(n, cut - sent)
                try:
                    chunk = reader.read(n)
                except OSError as exc:
                    raise ConnectionResetError(f"cannot read {body.path}: {exc}") from exc
                if not chunk:  # the file shrank while being served: cut the response
                    raise ConnectionResetError(f"{body.path} shrank while being served")
                if garbage is not None:
                    chunk = garbage.randbytes(len(chunk))
                await self.link.take(len(chunk))
                await resp.write(chunk)
                sent += len(chunk)
                self.stats.bytes_sent += len(chunk)
                if cut is not None and sent == cut and fault is not None:
                    cut = None
                    self.stats.faults[fault] += 1
                    if fault is FaultKind.RESET:
                        self._reset_connection(request)
                        return sent
                    if fault is FaultKind.TRUNCATE:
                        if request.transport is not None:
                            request.transport.close()  # flush what was written, then FIN
                        return sent
                    if fault is FaultKind.STALL and self.faults is not None:
                        # A stalled sender is not using the link: no catch-up burst after.
                        self.link.transfer_ended()
                        try:
                            await self._sleep(self.faults.stall_s)
                        finally:
                            self.link.transfer_started()
        return sent


class _Reader:
    """Reads a body's bytes sequentially from memory or from its file."""

    def __init__(self, body: Body, offset: int) -> None:
        self._body = body
        self._pos = offset
        # Opened here, closed by __exit__ (a with-block cannot span the chunk loop's awaits
        # more simply than this class does).
        try:
            self._file = None if body.path is None else open(body.path, "rb")  # noqa: SIM115
            if self._file is not None:
                self._file.seek(offset)
        except OSError as exc:
            raise ConnectionResetError(f"cannot read {body.path}: {exc}") from exc

    def read(self, n: int) -> bytes:
        if self._file is not None:
            return self._file.read(n)
        assert self._body.data is not None
        chunk = self._body.data[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

"""A small fault-injecting aiohttp origin on 127.0.0.1 for the fetcher's tests.

It serves in-memory files under ``/files/<name>`` (with ``Range`` support) and can be
told to misbehave for the next N requests of a file (or forever): answer a status,
reset the connection mid-body, close it early (a body shorter than Content-Length),
stall mid-body, delay the first byte, drip the body slowly, ignore ``Range``. It can be
taken down (listening socket closed, open connections aborted) and logs every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def payload(size: int, seed: str = "abrkit") -> bytes:
    """Deterministic, incompressible-looking bytes."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


@dataclass
class Fault:
    """How to misbehave. ``kind`` is one of: status, reset, truncate, stall,
    slow_first_byte, drip, no_range. ``times`` None means every request."""

    kind: str
    status: int = 503
    after: int = 0  # body bytes sent before the fault
    seconds: float = 0.0  # stall / first-byte delay / drip interval
    times: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chunk: int = 4096  # drip chunk size


@dataclass
class Hit:
    """One request as the server saw it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    fault: str | None
    path_qs: str = ""
    peer: int = 0  # client port: the same for requests on one kept-alive connection
    sent: int = 0  # body bytes written
    client_gone: bool = False


class FaultServer:
    """An aiohttp origin on 127.0.0.1 with injectable faults."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.hits: list[Hit] = []
        self.require: Callable[[web.Request], bool] | None = None  # else 403
        self.body_started = asyncio.Event()  # some body bytes went out
        self.client_gone = asyncio.Event()  # a client dropped its connection mid-body
        self._transports: set[Any] = set()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str, query: str = "") -> str:
        return f"{self.base}/files/{name}" + (f"?{query}" if query else "")

    def add(self, name: str, data: bytes) -> str:
        self.files[name] = data
        return self.url(name)

    def inject(self, name: str, fault: Fault) -> None:
        """Queue ``fault`` for ``name`` ("*" for every file)."""
        self.faults.setdefault(name, []).append(fault)

    def hits_for(self, name: str) -> list[Hit]:
        return [h for h in self.hits if h.path == f"/files/{name}"]

    async def start(self, port: int = 0) -> FaultServer:
        app = web.Application()
        app.router.add_get("/files/{name}", self._serve)
        # handler_cancellation: a handler learns at once that its client went away
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", port)
        await self._site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def take_down(self) -> None:
        """Crash: stop listening and abort every open connection."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def close(self) -> None:
        await self.take_down()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _next_fault(self, name: str) -> Fault | None:
        for key in (name, "*"):
            queue = self.faults.get(key)
            if queue:
                fault = queue[0]
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        queue.pop(0)
                return fault
        return None

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        fault = self._next_fault(name)
        hit = Hit(
            request.path,
            dict(request.query),
            dict(request.headers),
            None if fault is None else fault.kind,
            request.path_qs,
            request.transport.get_extra_info("peername")[1] if request.transport else 0,
        )
        self.hits.append(hit)
        transport = request.transport
        if transport is not None:
            self._transports.add(transport)
        try:
            return await self._respond(request, name, fault, hit)
        except (asyncio.CancelledError, ConnectionResetError):
            hit.client_gone = True
            self.client_gone.set()
            raise
        finally:
            self._transports.discard(transport)

    async def _respond(
        self, request: web.Request, name: str, fault: Fault | None, hit: Hit
    ) -> web.StreamResponse:
        if self.require is not None and not self.require(request):
            return web.Response(status=403, text="forbidden")
        if fault is not None and fault.kind == "slow_first_byte":
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.kind == "status":
            return web.Response(status=fault.status, text="injected", headers=fault.headers)
        data = self.files.get(name)
        if data is None:
            return web.Response(status=404, text="not found")
        status, body, headers = 200, data, {"Accept-Ranges": "bytes"}
        rng = request.headers.get("Range")
        if rng and not (fault is not None and fault.kind == "no_range"):
            start_s, _, end_s = rng.removeprefix("bytes=").partition("-")
            start = int(start_s)
            end = min(int(end_s), len(data) - 1) if end_s else len(data) - 1
            if start >= len(data):
                return web.Response(status=416, headers={"Content-Range": f"bytes */{len(data)}"})
            status, body = 206, data[start : end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        response = web.StreamResponse(status=status, headers=headers)
        response.content_length = len(body)
        await response.prepare(request)
        kind = None if fault is None else fault.kind
        if kind in ("reset", "truncate", "stall"):
            assert fault is not None
            head = body[: fault.after]
            await response.write(head)
            hit.sent += len(head)
            self.body_started.set()
            await asyncio.sleep(0.05)  # let the head reach the client first
            if kind == "stall":
                await asyncio.sleep(fault.seconds)
            else:
                assert request.transport is not None
                if kind == "reset":
                    request.transport.abort()  # RST: the connection dies mid-body
                else:
                    request.transport.close()  # FIN: the body just ends early
                return response
            rest = body[fault.after :]
        elif kind == "drip":
            assert fault is not None
            for i in range(0, len(body), fault.chunk):
                piece = body[i : i + fault.chunk]
                await response.write(piece)
                hit.sent += len(piece)
                self.body_started.set()
                await asyncio.sleep(fault.seconds)
            rest = b""
        else:
            rest = body
        if rest:
            await response.write(rest)
            hit.sent += len(rest)
            self.body_started.set()
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
        return response

"""A real aiohttp origin on 127.0.0.1 for viewer tests, with switches a test can pull:
paths that answer 404, paths whose answer is delayed or held until released, and a
record of requests and of clients that went away mid-answer."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from aiohttp import web

from ui.bridge import LoopThread

_HOLD_LIMIT_S = 30.0  # a held request gives up after this long (tests never hang)


class TestOrigin:
    """Serves ``root`` on loopback from its own loop thread."""

    __test__ = False  # not a pytest test class

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        self.disconnected: list[str] = []
        self.missing: set[str] = set()
        self.delays: dict[str, float] = {}  # suffix -> seconds
        self.hold_suffix: str | None = None
        self.release = threading.Event()
        self.held = threading.Event()  # set once a held request is waiting
        self._loop = LoopThread("test-origin")
        self._runner: web.AppRunner | None = None
        self.port = 0

    def start(self) -> TestOrigin:
        self._loop.submit(self._start()).result(10)
        return self

    def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            runner = self._runner
            self._loop.shutdown(runner.cleanup, timeout=3.0)

    def url(self, rel: str) -> str:
        return f"http://127.0.0.1:{self.port}/{rel}"

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        rel = request.match_info["tail"]
        self.requests.append(rel)
        if rel in self.missing:
            raise web.HTTPNotFound()
        for suffix, delay in self.delays.items():
            if rel.endswith(suffix):
                await asyncio.sleep(delay)
        if self.hold_suffix is not None and rel.endswith(self.hold_suffix):
            self.held.set()
            deadline = time.monotonic() + _HOLD_LIMIT_S
            while not self.release.is_set() and time.monotonic() < deadline:
                transport = request.transport
                if transport is None or transport.is_closing():
                    self.disconnected.append(rel)
                    raise web.HTTPServiceUnavailable()
                await asyncio.sleep(0.02)
        path = (self.root / rel).resolve()
        if not path.is_file() or self.root.resolve() not in path.parents:
            raise web.HTTPNotFound()
        return web.FileResponse(path)

"""A local HTTP origin: serves a folder on 127.0.0.1 so local titles play like remote ones.

The Player fetches over HTTP only, so ``abrkit gui`` with no URL (the sample title) or
with a local manifest path serves that folder here, on the viewer's loop. Files are sent
with byte ranges (aiohttp's static handler); nothing outside the folder is reachable.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from player import Code, PlayerError

__all__ = ["LocalOrigin"]

# Types the Player's fetcher and debugging tools expect; mimetypes knows none of them.
for _ext, _type in {
    ".mpd": "application/dash+xml",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".vtt": "text/vtt",
}.items():
    mimetypes.add_type(_type, _ext)


class LocalOrigin:
    """Serves ``root`` over HTTP on loopback; start and stop it on an asyncio loop."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        if not self.root.is_dir():
            raise PlayerError(Code.INVALID_ARGUMENT, f"not a folder: {root}")
        self._runner: web.AppRunner | None = None
        self._port = 0

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_static("/", self.root, follow_symlinks=False, show_index=False)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        sockets = getattr(server, "sockets", None) or []
        if not sockets:
            await runner.cleanup()
            raise PlayerError(Code.INTERNAL, "the local origin did not bind a socket")
        self._port = int(sockets[0].getsockname()[1])
        self._runner = runner

    async def stop(self) -> None:
        """Close the listening socket and open connections."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def url_for(self, path: Path) -> str:
        """The URL of a file under :attr:`root`."""
        if not self._port:
            raise PlayerError(Code.INVALID_STATE, "the local origin is not started")
        rel = path.resolve().relative_to(self.root)
        return f"http://127.0.0.1:{self._port}/{quote(rel.as_posix())}"

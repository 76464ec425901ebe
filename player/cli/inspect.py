"""``abrkit inspect URL_OR_FILE [--json]``: what a DASH or HLS manifest describes.

The manifest is read from a local file or fetched with one HTTP GET (at most
:data:`~player.manifest.MAX_MANIFEST_BYTES`). Indexes that need a fetch (HLS media
playlists, DASH sidx) are loaded when reachable: local files beside the manifest, or
HTTP; otherwise their ``segments`` is null. ``--json`` prints exactly::

    {"format", "live", "duration", "periods": [{"id", "start", "duration", "tracks": [
      {"kind", "language", "codecs", "protection": [{"system", "default_kid",
       "license_url", "pssh"}], "representations": [{"id", "bandwidth", "width",
       "height", "codecs", "segments", "duration", "base_urls"}]}]}]}

A bad manifest exits with status 2 (``{"error": {...}}`` with ``--json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import aiohttp

from player.cli import Command
from player.errors import Code, PlayerError
from player.manifest import (
    MAX_MANIFEST_BYTES,
    ByteRange,
    IndexRequest,
    Presentation,
    SegmentIndex,
    Track,
    load_indexes,
    parse_manifest,
    pending_requests,
)

_CONCURRENCY = 4


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="URL_OR_FILE", help="manifest URL (http/https) or file")
    p.add_argument("--json", action="store_true", help="print the description as JSON")
    p.add_argument(
        "--no-fetch",
        action="store_true",
        help="do not load media playlists or sidx indexes (segments stay null)",
    )
    p.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per HTTP request (default 10)"
    )


def _is_http(source: str) -> bool:
    return urlsplit(source).scheme in ("http", "https")


async def _get(
    session: aiohttp.ClientSession, url: str, byte_range: ByteRange | None = None
) -> tuple[bytes, str]:
    """GET ``url`` (bounded in size); the body and the final URL after redirects."""
    headers = {"Range": byte_range.header()} if byte_range is not None else {}
    try:
        async with session.get(url, headers=headers) as resp:
            if resp.status not in (200, 206):
                raise PlayerError(
                    Code.BAD_HTTP_STATUS,
                    f"GET {url}: HTTP {resp.status}",
                    data={"url": url, "status": resp.status},
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in resp.content.iter_chunked(65536):
                size += len(chunk)
                if size > MAX_MANIFEST_BYTES:
                    raise PlayerError(
                        Code.RESPONSE_TOO_LARGE,
                        f"GET {url}: more than {MAX_MANIFEST_BYTES} bytes",
                        data={"url": url},
                    )
                chunks.append(chunk)
            body = b"".join(chunks)
            if byte_range is not None and resp.status == 200:
                end = byte_range.end
                body = body[byte_range.start : None if end is None else end + 1]
            return body, str(resp.url)
    except TimeoutError:
        raise PlayerError(Code.TIMEOUT, f"GET {url}: timed out", data={"url": url}) from None
    except aiohttp.ClientError as exc:
        raise PlayerError(Code.HTTP_ERROR, f"GET {url}: {exc}", data={"url": url}) from None
    except ValueError as exc:  # yarl/aiohttp on a malformed URL
        raise PlayerError(Code.MALFORMED_URL, f"GET {url}: {exc}", data={"url": url}) from None


def _read_local(path: Path, root: Path | None, byte_range: ByteRange | None = None) -> bytes:
    """A local file, only inside ``root`` (the manifest's folder) when given."""
    try:
        resolved = path.resolve()
        if root is not None and not resolved.is_relative_to(root):
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"{path} is outside the manifest's folder {root}"
            )
        size = resolved.stat().st_size
        with open(resolved, "rb") as f:
            if byte_range is not None:
                f.seek(byte_range.start)
                length = byte_range.length
                return f.read(length if length is not None else MAX_MANIFEST_BYTES)
            if size > MAX_MANIFEST_BYTES:
                raise PlayerError(
                    Code.MANIFEST_TOO_LARGE,
                    f"{path}: {size} bytes exceeds the {MAX_MANIFEST_BYTES} byte limit",
                )
            return f.read()
    except OSError as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"cannot read {path}: {exc.strerror}") from None


def _file_path(url: str) -> Path:
    return Path(url2pathname(urlsplit(url).path))


async def _inspect(source: str, fetch: bool, timeout: float) -> Presentation:
    client_timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        if _is_http(source):
            data, url = await _get(session, source)
            root = None
        else:
            path = Path(source).expanduser()
            data = _read_local(path, None)
            url = path.resolve().as_uri()
            root = path.resolve().parent
        presentation = parse_manifest(data, url)
        if fetch:
            await _load_pending(session, presentation, root)
        return presentation


async def _load_pending(
    session: aiohttp.ClientSession, presentation: Presentation, root: Path | None
) -> None:
    fetched: dict[tuple[str, tuple[int, int | None] | None], bytes | Exception] = {}
    wanted: list[tuple[str, ByteRange | None]] = []
    for request in pending_requests(presentation):
        for url in request.urls:
            key = (url, None if request.byte_range is None else _key(request.byte_range))
            if key not in {(u, None if r is None else _key(r)) for u, r in wanted}:
                wanted.append((url, request.byte_range))
    limit = asyncio.Semaphore(_CONCURRENCY)

    async def one(url: str, byte_range: ByteRange | None) -> None:
        key = (url, None if byte_range is None else _key(byte_range))
        async with limit:
            try:
                if urlsplit(url).scheme == "file":
                    fetched[key] = _read_local(_file_path(url), root, byte_range)
                elif _is_http(url):
                    fetched[key] = (await _get(session, url, byte_range))[0]
                else:
                    fetched[key] = PlayerError(Code.UNSUPPORTED_SCHEME, f"cannot fetch {url}")
            except PlayerError as exc:
                fetched[key] = exc

    await asyncio.gather(*(one(u, r) for u, r in wanted))

    def lookup(url: str, byte_range: ByteRange | None = None) -> bytes:
        found = fetched.get((url, None if byte_range is None else _key(byte_range)))
        if found is None:
            raise PlayerError(Code.MEDIA_PLAYLIST_UNAVAILABLE, f"{url} was not fetched")
        if isinstance(found, Exception):
            raise found
        return found

    # Unreachable indexes stay requests: their "segments" print as null.
    load_indexes(presentation, lookup, range_loader=lookup)


def _key(byte_range: ByteRange) -> tuple[int, int | None]:
    return (byte_range.start, byte_range.end)


def _index_facts(index: object) -> tuple[int | None, float | None]:
    if not isinstance(index, SegmentIndex) or isinstance(index, IndexRequest):
        return None, None
    last = index.last_number
    if last is None:
        return None, None
    n = len(index)
    if n == 0:
        return 0, 0.0
    first_seg = index.by_number(index.first_number)
    last_seg = index.by_number(last)
    if first_seg is None or last_seg is None:
        return n, None
    return n, round(last_seg.end - first_seg.start, 6)


def _track_codecs(track: Track) -> str | None:
    if track.codecs:
        return track.codecs
    codecs = {r.codecs for r in track.representations}
    return codecs.pop() if len(codecs) == 1 else None


def describe(presentation: Presentation) -> dict[str, Any]:
    """The ``--json`` description of a presentation."""
    periods = []
    for period in presentation.periods:
        tracks = []
        for track in period.tracks:
            reps = []
            for rep in track.representations:
                segments, duration = _index_facts(rep.index)
                reps.append(
                    {
                        "id": rep.id,
                        "bandwidth": rep.bandwidth,
                        "width": rep.width,
                        "height": rep.height,
                        "codecs": rep.codecs or track.codecs,
                        "segments": segments,
                        "duration": duration,
                        "base_urls": list(rep.base_urls),
                    }
                )
            tracks.append(
                {
                    "kind": track.kind.value,
                    "language": track.language,
                    "codecs": _track_codecs(track),
                    "protection": [
                        {
                            "system": cp.system,
                            "default_kid": cp.default_kid,
                            "license_url": cp.license_url,
                            "pssh": cp.pssh is not None,
                        }
                        for cp in track.protection
                    ],
                    "representations": reps,
                }
            )
        periods.append(
            {
                "id": period.id,
                "start": period.start,
                "duration": period.duration,
                "tracks": tracks,
            }
        )
    return {
        "format": presentation.format,
        "live": presentation.is_live,
        "duration": presentation.duration,
        "periods": periods,
    }


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.3f} s"


def render_tree(description: dict[str, Any]) -> str:
    """The readable tree ``abrkit inspect`` prints without ``--json``."""
    d = description
    lines = [
        f"{d['format'].upper()} {'live' if d['live'] else 'on demand'}, "
        f"duration {_seconds(d['duration'])}, {len(d['periods'])} period(s)"
    ]
    for i, p in enumerate(d["periods"]):
        ident = f" (id {p['id']})" if p["id"] is not None else ""
        lines.append(
            f"Period {i}{ident}: start {_seconds(p['start'])}, duration {_seconds(p['duration'])}"
        )
        for t in p["tracks"]:
            head = f"  {t['kind']}"
            if t["language"]:
                head += f" [{t['language']}]"
            if t["codecs"]:
                head += f" {t['codecs']}"
            lines.append(head)
            for cp in t["protection"]:
                parts = [cp["system"]]
                if cp["default_kid"]:
                    parts.append(f"kid {cp['default_kid']}")
                if cp["license_url"]:
                    parts.append(f"license {cp['license_url']}")
                if cp["pssh"]:
                    parts.append("pssh")
                lines.append("    protection: " + ", ".join(parts))
            for r in t["representations"]:
                size = f" {r['width']}x{r['height']}" if r["width"] and r["height"] else ""
                segs = (
                    "segments not loaded"
                    if r["segments"] is None
                    else f"{r['segments']} segments, {_seconds(r['duration'])}"
                )
                lines.append(
                    f"    {r['id']}: {r['bandwidth'] / 1000:.0f} kb/s{size}"
                    f"{' ' + r['codecs'] if r['codecs'] else ''}: {segs}"
                )
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise PlayerError(Code.INVALID_ARGUMENT, "--timeout must be positive")
    presentation = asyncio.run(_inspect(args.source, not args.no_fetch, args.timeout))
    description = describe(presentation)
    if args.json:
        print(json.dumps(description))
    else:
        print(render_tree(description))
    return 0


command = Command(
    name="inspect",
    help="describe a DASH or HLS manifest (file or URL)",
    add_arguments=_add_arguments,
    run=_run,
)

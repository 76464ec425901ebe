"""Video descriptions: what the simulator streams, as per-segment sizes per rung.

A :class:`VideoDescription` is a bitrate ladder, the duration of every segment and the
size in bytes of every segment at every rung (plus, optionally, each rung's init
segment). It is all a trace-driven replay needs to know about a title; the simulator
turns it into a :class:`~player.manifest.Presentation` whose segments carry their byte
ranges, so the engine and its policies see the real sizes (``AbrContext.next_sizes``).

Loaders:

- :func:`load_sabre_video`: Sabre's movie JSON (``segment_duration_ms``,
  ``bitrates_kbps``, ``segment_sizes_bits[segment][rung]``); bits are rounded up to bytes.
- :func:`load_pensieve_video`: the Pensieve sizes JSON (``chunk_seconds``,
  ``bitrates_kbps``, ``chunk_sizes_bytes[rung][chunk]``); the first 48 chunks by default,
  as Pensieve's simulator plays them.
- :func:`load_manifest_video` / :func:`load_manifest_video_async`: any DASH or HLS
  manifest, local (our packaged titles: sizes from the files on disk, byte ranges or the
  sidx) or over HTTP (sizes from byte ranges or ``Content-Length``).
- :func:`load_video`: any of those from a path, a folder holding a packaged title, a
  URL, or the name of a file shipped in ``traces/data/videos``.

Only the video track is described; audio is not modelled (as in Pensieve and Sabre).
Bad input raises ``PlayerError(VIDEO_INVALID)`` (or the manifest parser's own errors).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from player.errors import Code, PlayerError
from player.manifest import (
    ByteRange,
    IndexRequest,
    LazyIndex,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    TrackKind,
    load_indexes,
    parse_manifest,
)

__all__ = [
    "PENSIEVE_CHUNKS",
    "VIDEOS_DIR",
    "VideoDescription",
    "load_manifest_video",
    "load_manifest_video_async",
    "load_pensieve_video",
    "load_sabre_video",
    "load_video",
    "video_names",
]

#: Where the shipped size files live (``bbb.json``, ``pensieve-envivio-sizes.json``...).
VIDEOS_DIR = Path(__file__).resolve().parent.parent / "data" / "videos"
#: Pensieve's ``TOTAL_VIDEO_CHUNCK``: its simulator plays the first 48 chunks.
PENSIEVE_CHUNKS = 48
#: Most concurrent size look-ups (HEAD requests) against one HTTP origin.
_HTTP_CONCURRENCY = 8


def _invalid(message: str, **data: Any) -> PlayerError:
    return PlayerError(Code.VIDEO_INVALID, message, data=data)


@dataclass(frozen=True, eq=False)
class VideoDescription:
    """A title as the simulator sees it: ladder, segment durations and sizes.

    ``bitrates_bps`` are the rungs' nominal bitrates (ascending; QoE is computed from
    them); ``segment_durations`` one value per segment (seconds); ``sizes[segment][rung]``
    bytes; ``init_sizes[rung]`` the init segment's bytes, or None when the title has none
    (size files). Invalid values raise ``PlayerError(VIDEO_INVALID)``.
    """

    name: str
    bitrates_bps: tuple[int, ...]
    segment_durations: tuple[float, ...]
    sizes: tuple[tuple[int, ...], ...]
    init_sizes: tuple[int, ...] | None = None
    source: str = ""
    _presentation: list[Presentation] = field(default_factory=list, repr=False, compare=False)

    def __post_init__(self) -> None:
        rates = self.bitrates_bps
        if not rates:
            raise _invalid(f"video {self.name!r} has no rungs")
        if any(not (isinstance(r, int) and r > 0) for r in rates):
            raise _invalid(f"video {self.name!r}: bitrates must be positive integers")
        if any(b <= a for a, b in itertools.pairwise(rates)):
            raise _invalid(f"video {self.name!r}: bitrates must be strictly ascending")
        n = len(self.segment_durations)
        if n == 0:
            raise _invalid(f"video {self.name!r} has no segments")
        if any(not (math.isfinite(d) and d > 0) for d in self.segment_durations):
            raise _invalid(f"video {self.name!r}: segment durations must be finite and > 0")
        if len(self.sizes) != n:
            raise _invalid(
                f"video {self.name!r}: {n} segment durations but sizes for {len(self.sizes)}"
            )
        for k, row in enumerate(self.sizes):
            if len(row) != len(rates):
                raise _invalid(
                    f"video {self.name!r}: segment {k} has {len(row)} sizes for {len(rates)} rungs",
                    segment=k,
                )
            if any(not (isinstance(s, int) and s > 0) for s in row):
                raise _invalid(
                    f"video {self.name!r}: segment {k} has a size that is not a positive integer",
                    segment=k,
                )
        if self.init_sizes is not None and (
            len(self.init_sizes) != len(rates)
            or any(not (isinstance(s, int) and s > 0) for s in self.init_sizes)
        ):
            raise _invalid(f"video {self.name!r}: init_sizes needs one positive size per rung")

    # -- views -------------------------------------------------------------------------

    @property
    def n_segments(self) -> int:
        """Number of segments."""
        return len(self.segment_durations)

    @property
    def n_rungs(self) -> int:
        """Number of rungs."""
        return len(self.bitrates_bps)

    @property
    def duration(self) -> float:
        """Media duration in seconds."""
        return float(sum(self.segment_durations))

    @property
    def segment_duration(self) -> float:
        """The nominal (longest) segment duration."""
        return max(self.segment_durations)

    def size(self, segment: int, rung: int) -> int:
        """Bytes of ``segment`` at ``rung``."""
        return self.sizes[segment][rung]

    def truncated(self, n_segments: int) -> VideoDescription:
        """The first ``n_segments`` segments (a shorter session on the same title)."""
        if not 1 <= n_segments <= self.n_segments:
            raise _invalid(
                f"cannot keep {n_segments} of the {self.n_segments} segments of {self.name!r}"
            )
        if n_segments == self.n_segments:
            return self
        return VideoDescription(
            name=self.name,
            bitrates_bps=self.bitrates_bps,
            segment_durations=self.segment_durations[:n_segments],
            sizes=self.sizes[:n_segments],
            init_sizes=self.init_sizes,
            source=self.source,
        )

    def presentation(self) -> Presentation:
        """A one-track VOD :class:`Presentation` of this video (built once, then shared).

        Segment ``k`` of rung ``q`` is ``sim://<name>/<q>/<k>`` with the byte range of
        its size, so the engine knows every size; each rung has an init segment when
        ``init_sizes`` is set.
        """
        if not self._presentation:
            from traces.sim._build import build_presentation

            self._presentation.append(build_presentation(self))
        return self._presentation[0]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``load_video`` reads it back)."""
        return {
            "format": "abrkit-video",
            "name": self.name,
            "source": self.source,
            "bitrates_bps": list(self.bitrates_bps),
            "segment_durations": list(self.segment_durations),
            "sizes": [list(r) for r in self.sizes],
            "init_sizes": None if self.init_sizes is None else list(self.init_sizes),
        }


# -- size files --------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _invalid(f"no such video file: {path}", path=str(path)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(f"unreadable video file {path}: {exc}", path=str(path)) from exc


def _field(doc: Any, key: str, path: Path) -> Any:
    if not isinstance(doc, dict) or key not in doc:
        raise _invalid(f"{path}: missing {key!r}", path=str(path))
    return doc[key]


def _number_list(value: Any, what: str, path: Path) -> list[float]:
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise _invalid(f"{path}: {what} must be a list of numbers", path=str(path))
    return [float(v) for v in value]


def _kbps(values: list[float], path: Path) -> tuple[int, ...]:
    if any(not (math.isfinite(v) and v > 0) for v in values):
        raise _invalid(f"{path}: bitrates must be positive", path=str(path))
    return tuple(round(v * 1000) for v in values)


def _positive_int(v: float, path: Path) -> int:
    if not (math.isfinite(v) and v > 0):
        raise _invalid(f"{path}: segment sizes must be positive numbers", path=str(path))
    return math.ceil(v)


def load_sabre_video(path: str | Path) -> VideoDescription:
    """Sabre's movie JSON: ``{"segment_duration_ms", "bitrates_kbps",
    "segment_sizes_bits": [[bits per rung] per segment]}`` (bits rounded up to bytes)."""
    p = Path(path)
    doc = _read_json(p)
    dur_ms = _field(doc, "segment_duration_ms", p)
    if isinstance(dur_ms, bool) or not isinstance(dur_ms, (int, float)) or not dur_ms > 0:
        raise _invalid(f"{p}: segment_duration_ms must be a positive number", path=str(p))
    rates = _kbps(_number_list(_field(doc, "bitrates_kbps", p), "bitrates_kbps", p), p)
    rows = _field(doc, "segment_sizes_bits", p)
    if not isinstance(rows, list):
        raise _invalid(f"{p}: segment_sizes_bits must be a list", path=str(p))
    sizes = tuple(
        tuple(_positive_int(b / 8.0, p) for b in _number_list(row, "a segment's sizes", p))
        for row in rows
    )
    return VideoDescription(
        name=p.stem,
        bitrates_bps=rates,
        segment_durations=(float(dur_ms) / 1000.0,) * len(sizes),
        sizes=sizes,
        source=f"Sabre movie JSON {p.name}",
    )


def load_pensieve_video(path: str | Path, chunks: int | None = PENSIEVE_CHUNKS) -> VideoDescription:
    """The Pensieve sizes JSON: ``{"chunk_seconds", "bitrates_kbps",
    "chunk_sizes_bytes": [[bytes per chunk] per rung]}``; the first ``chunks`` chunks
    (48, as Pensieve's simulator; None keeps them all)."""
    p = Path(path)
    doc = _read_json(p)
    secs = _field(doc, "chunk_seconds", p)
    if isinstance(secs, bool) or not isinstance(secs, (int, float)) or not secs > 0:
        raise _invalid(f"{p}: chunk_seconds must be a positive number", path=str(p))
    rates = _kbps(_number_list(_field(doc, "bitrates_kbps", p), "bitrates_kbps", p), p)
    per_rung = _field(doc, "chunk_sizes_bytes", p)
    if not isinstance(per_rung, list) or len(per_rung) != len(rates):
        raise _invalid(f"{p}: chunk_sizes_bytes needs one list per rung", path=str(p))
    cols = [[_positive_int(v, p) for v in _number_list(c, "a rung's sizes", p)] for c in per_rung]
    n = min(len(c) for c in cols)
    if chunks is not None:
        if chunks < 1:
            raise _invalid(f"chunks must be >= 1, not {chunks}")
        n = min(n, chunks)
    return VideoDescription(
        name=p.stem,
        bitrates_bps=rates,
        segment_durations=(float(secs),) * n,
        sizes=tuple(tuple(c[k] for c in cols) for k in range(n)),
        source=f"Pensieve sizes JSON {p.name}",
    )


def _load_own_json(path: Path, doc: dict[str, Any]) -> VideoDescription:
    try:
        init = doc.get("init_sizes")
        return VideoDescription(
            name=str(doc.get("name") or path.stem),
            bitrates_bps=tuple(int(v) for v in doc["bitrates_bps"]),
            segment_durations=tuple(float(v) for v in doc["segment_durations"]),
            sizes=tuple(tuple(int(v) for v in row) for row in doc["sizes"]),
            init_sizes=None if init is None else tuple(int(v) for v in init),
            source=str(doc.get("source") or path.name),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _invalid(f"{path}: not an abrkit video description ({exc!r})") from None


# -- manifests ---------------------------------------------------------------------------


def _is_url(text: str) -> bool:
    return urllib.parse.urlsplit(text).scheme in ("http", "https")


def _file_path(url: str) -> Path:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        raise _invalid(f"not a local file URL: {url}", url=url)
    return Path(urllib.parse.unquote(parts.path))


def _read_local(url: str) -> bytes:
    path = _file_path(url)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _invalid(f"cannot read {path}: {exc}", path=str(path)) from exc


def _video_reps(pres: Presentation) -> list[list[Representation]]:
    """Per period, the video representations the simulator plays, lowest bitrate first."""
    if pres.is_live:
        raise _invalid("live presentations cannot be replayed; give a VOD title")
    out: list[list[Representation]] = []
    for period in pres.periods:
        tracks = [t for t in period.tracks_of(TrackKind.VIDEO) if not t.is_iframe_only]
        if not tracks:
            raise _invalid(f"period {period.id!r} has no video track")
        # The track with most rungs, as the engine's selection does for one codec family.
        track = max(tracks, key=lambda t: len(t.representations))
        reps = sorted(track.representations, key=lambda r: r.bandwidth)
        if not reps:
            raise _invalid(f"period {period.id!r}: the video track has no representations")
        out.append(reps)
    if len({len(r) for r in out}) != 1:
        raise _invalid("the periods' video ladders differ in size; cannot describe them as one")
    return out


_Ref = tuple[str | None, int | None]  # (URL whose size is unknown, or the known size)


@dataclass
class _Plan:
    """What a manifest says about the video, with the sizes still to look up."""

    name: str
    source: str
    bitrates: tuple[int, ...]
    durations: list[float]
    segments: list[list[_Ref]]  # [segment][rung]
    inits: list[_Ref] | None

    def unknown(self) -> list[str]:
        """URLs whose size must be looked up (each once)."""
        refs = [r for row in self.segments for r in row] + list(self.inits or [])
        return list(dict.fromkeys(u for u, n in refs if n is None and u is not None))

    def finish(self, found: dict[str, int]) -> VideoDescription:
        def size(ref: _Ref) -> int:
            url, n = ref
            return n if n is not None else found[str(url)]

        return VideoDescription(
            name=self.name,
            bitrates_bps=self.bitrates,
            segment_durations=tuple(self.durations),
            sizes=tuple(tuple(size(r) for r in row) for row in self.segments),
            init_sizes=None if self.inits is None else tuple(size(r) for r in self.inits),
            source=self.source,
        )


def _ref(url: str, byte_range: ByteRange | None) -> _Ref:
    if byte_range is not None and byte_range.length is not None:
        return (None, byte_range.length)
    return (url, None)


def _plan(pres: Presentation, name: str, source: str) -> _Plan:
    periods = _video_reps(pres)
    n_rungs = len(periods[0])
    durations: list[float] = []
    segments: list[list[_Ref]] = []
    inits: list[_Ref] | None = []
    for pi, reps in enumerate(periods):
        columns: list[list[Segment]] = []
        for rep in reps:
            index = rep.index
            if not isinstance(index, SegmentIndex):
                raise _invalid(f"representation {rep.id!r} has no segment index")
            columns.append(list(index))
            if pi == 0 and inits is not None:
                init = index.init
                inits = None if init is None else [*inits, _ref(init.url, init.byte_range)]
        if len({len(c) for c in columns}) != 1:
            raise _invalid(f"the rungs of period {pi} have different numbers of segments")
        durations.extend(s.duration for s in columns[0])
        for k in range(len(columns[0])):
            segments.append(
                [_ref(columns[q][k].url, columns[q][k].byte_range) for q in range(n_rungs)]
            )
    rates = _strictly_ascending([int(r.bandwidth) for r in periods[0]], name)
    return _Plan(name, source, rates, durations, segments, inits)


def _strictly_ascending(rates: list[int], name: str) -> tuple[int, ...]:
    # Two rungs of one nominal bitrate would be the same rung to every policy; nudge them
    # apart by a bit per second so the ladder stays well-formed (sizes stay real).
    out: list[int] = []
    for r in rates:
        out.append(max(r, out[-1] + 1) if out else r)
    if any(r <= 0 for r in out):
        raise _invalid(f"video {name!r} has a rung without a positive bandwidth")
    return tuple(out)


def load_manifest_video(path: str | Path) -> VideoDescription:
    """A local DASH MPD or HLS playlist (e.g. a title packaged by ``abrkit package``):
    segment sizes from byte ranges, the sidx, or the sizes of the files on disk."""
    p = Path(path).resolve()
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise _invalid(f"cannot read manifest {p}: {exc}", path=str(p)) from exc
    url = p.as_uri()
    pres = parse_manifest(data, url, _read_local)
    errors = load_indexes(pres, _read_local)
    if errors:
        raise errors[0]

    plan = _plan(pres, _title(p.name, p.parent.name), f"manifest {p}")
    found: dict[str, int] = {}
    for u in plan.unknown():
        fp = _file_path(u)
        try:
            found[u] = fp.stat().st_size
        except OSError as exc:
            raise _invalid(f"segment file missing: {fp} ({exc})", path=str(fp)) from exc
    return plan.finish(found)


async def load_manifest_video_async(url: str, *, timeout_s: float = 30.0) -> VideoDescription:
    """A DASH MPD or HLS playlist over HTTP(S): sizes from byte ranges or the sidx, else
    from ``Content-Length`` of a HEAD request per segment (8 at a time)."""
    import aiohttp

    if not _is_url(url):
        raise _invalid(f"not an http(s) URL: {url!r}", url=url)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:

            async def get(u: str) -> bytes:
                async with session.get(u) as resp:
                    if resp.status != 200:
                        raise _invalid(f"GET {u}: HTTP {resp.status}", url=u)
                    return await resp.read()

            manifest = await get(url)
            pres = parse_manifest(manifest, url)
            await _load_indexes_async(pres, get)
            sem = asyncio.Semaphore(_HTTP_CONCURRENCY)

            async def head(u: str) -> int:
                async with sem, session.head(u, allow_redirects=True) as resp:
                    if resp.status == 200 and resp.content_length:
                        return int(resp.content_length)
                async with sem, session.get(u, headers={"Range": "bytes=0-0"}) as resp:
                    total = resp.headers.get("Content-Range", "").rpartition("/")[2]
                    if resp.status == 206 and total.isdigit():
                        return int(total)
                raise _invalid(f"the size of {u} is unknown (no Content-Length)", url=u)

            plan = _plan(pres, _url_title(url), f"manifest {url}")
            unknown = plan.unknown()
            sizes = await asyncio.gather(*(head(u) for u in unknown))
            return plan.finish(dict(zip(unknown, sizes, strict=True)))
    except PlayerError:
        raise
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise PlayerError(
            Code.HTTP_ERROR, f"cannot load {url}: {exc!r}", recoverable=True, data={"url": url}
        ) from exc


async def _load_indexes_async(pres: Presentation, get: Callable[[str], Awaitable[bytes]]) -> None:
    """Resolve index requests (sidx, media playlists) by fetching them first."""
    cache: dict[str, bytes] = {}
    for period in pres.periods:
        for track in period.tracks:
            if track.kind is not TrackKind.VIDEO:
                continue
            for rep in track.representations:
                idx = rep.index
                req = idx.request if isinstance(idx, LazyIndex) else idx
                if isinstance(req, IndexRequest):
                    for u in req.urls:
                        if u not in cache:
                            cache[u] = await get(u)
    errors = load_indexes(pres, lambda u: cache[u] if u in cache else _missing(u))
    video_ready = all(
        isinstance(r.index, SegmentIndex)
        for p in pres.periods
        for t in p.tracks_of(TrackKind.VIDEO)
        for r in t.representations
    )
    if errors and not video_ready:
        raise errors[0]


def _missing(url: str) -> bytes:
    raise _invalid(f"not fetched: {url}", url=url)


def _title(file_name: str, folder: str) -> str:
    stem = file_name.rsplit(".", 1)[0]
    return folder if stem in ("manifest", "master", "index") and folder else stem or "video"


def _url_title(url: str) -> str:
    parts = [p for p in urllib.parse.urlsplit(url).path.split("/") if p]
    if not parts:
        return "video"
    return _title(parts[-1], parts[-2] if len(parts) >= 2 else "")


# -- dispatch ----------------------------------------------------------------------------


def video_names() -> list[str]:
    """The size files shipped in ``traces/data/videos`` (usable by name)."""
    if not VIDEOS_DIR.is_dir():
        return []
    return sorted(p.name for p in VIDEOS_DIR.glob("*.json"))


def _manifest_in(folder: Path) -> Path | None:
    for name in ("manifest.mpd", "master.m3u8"):
        if (folder / name).is_file():
            return folder / name
    mpds = sorted(folder.glob("*.mpd")) or sorted(folder.glob("*.m3u8"))
    return mpds[0] if mpds else None


def load_video(spec: str | Path, *, chunks: int | None = None) -> VideoDescription:
    """A video from a size file, a manifest, a packaged title's folder, an HTTP(S) URL of
    a manifest, or the name of a shipped size file (``bbb.json``,
    ``pensieve-envivio-sizes.json``). ``chunks`` keeps only the first segments (a
    Pensieve sizes file keeps 48 unless told otherwise)."""
    text = str(spec)
    if _is_url(text):
        video = asyncio.run(load_manifest_video_async(text))
    else:
        p = Path(text)
        if not p.exists() and (VIDEOS_DIR / text).is_file() and "/" not in text:
            p = VIDEOS_DIR / text
        if p.is_dir():
            m = _manifest_in(p)
            if m is None:
                raise _invalid(f"no manifest (.mpd or .m3u8) in {p}", path=str(p))
            video = load_manifest_video(m)
        elif not p.is_file():
            raise _invalid(
                f"no video {text!r}: not a file, folder or URL (shipped: "
                f"{', '.join(video_names())})",
                path=text,
            )
        elif p.suffix.lower() in (".mpd", ".m3u8"):
            video = load_manifest_video(p)
        else:
            doc = _read_json(p)
            if isinstance(doc, dict) and "segment_sizes_bits" in doc:
                video = load_sabre_video(p)
            elif isinstance(doc, dict) and "chunk_sizes_bytes" in doc:
                return load_pensieve_video(p, chunks if chunks is not None else PENSIEVE_CHUNKS)
            elif isinstance(doc, dict) and doc.get("format") == "abrkit-video":
                video = _load_own_json(p, doc)
            else:
                raise _invalid(
                    f"{p}: not a known video description (Sabre movie JSON, Pensieve sizes "
                    "JSON, abrkit video JSON, or a manifest)",
                    path=str(p),
                )
    if chunks is not None:
        video = video.truncated(min(chunks, video.n_segments))
    return video

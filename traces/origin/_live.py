"""Serving a VOD title as live: a moving window over the title looped forever.

The live timeline starts at ``availabilityStartTime`` (AST; by default one window before
the origin started, so a full window is there at once) and plays the VOD title again and
again: loop ``k`` covers ``[k*L, (k+1)*L)`` seconds after AST, where ``L`` is the title's
duration. A segment is listed once it has been fully "produced" (its end is in the past)
and stays listed for ``window_s`` seconds.

DASH: every ``.mpd`` in the folder is served rewritten as ``type="dynamic"`` with
``availabilityStartTime``, ``publishTime``, ``timeShiftBufferDepth``,
``minimumUpdatePeriod``, ``suggestedPresentationDelay`` and a direct ``UTCTiming``; each
Representation gets a ``SegmentTemplate`` with an explicit ``SegmentTimeline`` of the
window and ``$Number$`` that keeps counting across loops. The original media template is
kept, so live number ``startNumber + k*N + i`` (N segments per loop) names a file that
does not exist; the origin maps it onto VOD segment ``startNumber + i`` and shifts its
``tfdt`` decode times by ``k*L``, so the media timeline runs on as the MPD says. Numbers
of the first loop are the VOD files themselves, served unchanged. Requests for looped
segments not yet produced, or already out of the window, get 404. Only ``$Number$``
SegmentTemplates (with ``@duration`` or a SegmentTimeline) in a single Period are
supported.

HLS: every media playlist in the folder is served as a sliding live playlist (no
``ENDLIST``, no ``PLAYLIST-TYPE``) over the same segment files: ``EXT-X-MEDIA-SEQUENCE``
counts on across loops, ``EXT-X-DISCONTINUITY`` marks each loop point (timestamps restart
there), ``EXT-X-DISCONTINUITY-SEQUENCE`` counts the loop points that slid out, and
``EXT-X-PROGRAM-DATE-TIME`` anchors the first segment and each loop. Master playlists are
served unchanged.

Tracks of different lengths (audio a few ms shorter than video) all loop with the same
``L`` (the longest), leaving a gap of those few ms at the loop point instead of drifting.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import datetime as dt
import itertools
import math
import posixpath
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import defusedxml.ElementTree as SafeET
import m3u8

from player.errors import Code, PlayerError
from traces.origin._mp4 import shift_decode_times, track_timescales
from traces.origin._static import Body, content_type_for, resolve_path

_GRACE_S = 0.5  # clock skew a client may have when it asks for the newest segment
_MANIFEST_CACHE = "no-cache"


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """How to serve a VOD title as live.

    ``window_s`` is the time-shift window (DASH ``timeShiftBufferDepth``, the length of
    the HLS playlist); ``min_update_period_s`` the DASH ``minimumUpdatePeriod`` (default:
    the longest segment); ``availability_start`` the POSIX time the live stream started
    (default: a whole second ``window_s`` before the origin started); ``clock`` the wall
    clock in POSIX seconds (tests inject one to move the window at will).
    """

    window_s: float = 30.0
    min_update_period_s: float | None = None
    availability_start: float | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if not (math.isfinite(self.window_s) and self.window_s > 0):
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"live window must be > 0 s, not {self.window_s}"
            )
        mup = self.min_update_period_s
        if mup is not None and not (math.isfinite(mup) and mup > 0):
            raise PlayerError(Code.INVALID_ARGUMENT, f"minimumUpdatePeriod must be > 0, not {mup}")


def _unsupported(path: str, why: str) -> PlayerError:
    return PlayerError(
        Code.UNSUPPORTED_FEATURE, f"cannot serve {path} as live: {why}", data={"path": path}
    )


def _iso_datetime(t: float) -> str:
    stamp = dt.datetime.fromtimestamp(t, dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _iso_duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"


_ISO_DUR = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def _parse_duration(text: str | None) -> Fraction | None:
    if not text:
        return None
    m = _ISO_DUR.match(text.strip())
    if not m:
        return None
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum((Fraction(v) * units[k] for k, v in m.groupdict().items() if v), Fraction(0))


# ---------------------------------------------------------------------------------------
# Live window arithmetic shared by DASH and HLS


@dataclass(slots=True)
class _Loop:
    """Segment ends within one loop (seconds) and the loop length."""

    ends: list[float]
    loop_s: float

    @property
    def n(self) -> int:
        return len(self.ends)

    def count_ended_by(self, x: float) -> int:
        """How many segments of the endless timeline have ended by ``x`` seconds."""
        if x < 0:
            return 0
        k = math.floor(x / self.loop_s)
        return k * self.n + bisect.bisect_right(self.ends, x - k * self.loop_s)

    def window(self, now: float, depth: float) -> range:
        """Global indices of the segments listed at ``now``."""
        return range(self.count_ended_by(now - depth), self.count_ended_by(now))

    def end_of(self, g: int) -> float:
        """End time (seconds after AST) of global segment ``g``."""
        k, i = divmod(g, self.n)
        return k * self.loop_s + self.ends[i]


# ---------------------------------------------------------------------------------------
# DASH


_TOKEN = re.compile(r"\$(RepresentationID|Number|Bandwidth|Time|SubNumber)?(?:%0(\d+)d)?\$")


def _expand(template: str, values: dict[str, str | int]) -> str:
    def sub(m: re.Match[str]) -> str:
        name, width = m.group(1), m.group(2)
        if name is None:
            return "$"
        value = values[name]
        if width and isinstance(value, int):
            return f"{value:0{int(width)}d}"
        return str(value)

    return _TOKEN.sub(sub, template)


def _number_regex(template: str, values: dict[str, str | int]) -> re.Pattern[str]:
    parts: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(template):
        parts.append(re.escape(template[pos : m.start()]))
        name = m.group(1)
        if name == "Number":
            parts.append(r"(?P<number>\d+)")
        elif name is None:
            parts.append(re.escape("$"))
        else:
            parts.append(re.escape(_expand(m.group(0), values)))
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(parts) + "$")


@dataclass(slots=True)
class _DashRep:
    rep_id: str
    timescale: int
    pto: int
    start_number: int
    media: str
    initialization: str | None
    starts: list[int]  # media time of each VOD segment, ticks
    durations: list[int]  # ticks, trimmed to the loop
    loop: _Loop
    regex: re.Pattern[str]  # matches the URL path of a media segment, captures number
    init_path: Path | None
    base: str  # URL path the media template is relative to
    values: dict[str, str | int]  # template values other than $Number$
    track_timescales: dict[int, int] = field(default_factory=dict)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


class _DashTitle:
    """One VOD MPD and what is needed to render it as live and map its segment URLs."""

    def __init__(self, root_dir: Path, url_path: str, data: bytes) -> None:
        self.url_path = url_path
        try:
            self.namespaces = [
                ns for _event, ns in SafeET.iterparse(BytesIO(data), events=("start-ns",))
            ]
            self.doc: ET.Element = SafeET.fromstring(data)
        except Exception as exc:  # defusedxml raises several types for bad or unsafe XML
            raise _unsupported(url_path, f"MPD is not well-formed XML ({exc})") from exc
        mpd = self.doc
        if _local(mpd.tag) != "MPD":
            raise _unsupported(url_path, "root element is not MPD")
        if mpd.get("type", "static") != "static":
            raise _unsupported(url_path, "the MPD is already dynamic")
        periods = _children(mpd, "Period")
        if len(periods) != 1:
            raise _unsupported(url_path, f"{len(periods)} Periods (exactly one is supported)")
        period = periods[0]
        loop = _parse_duration(mpd.get("mediaPresentationDuration")) or _parse_duration(
            period.get("duration")
        )
        if not loop or loop <= 0:
            raise _unsupported(url_path, "no mediaPresentationDuration or Period@duration")
        self.loop_s = loop
        self.reps: list[_DashRep] = []
        base = posixpath.dirname(url_path).rstrip("/") + "/"
        base = self._base(base, mpd)
        base = self._base(base, period)
        for aset in _children(period, "AdaptationSet"):
            aset_base = self._base(base, aset)
            for rep in _children(aset, "Representation"):
                templates = [
                    t for el in (period, aset, rep) for t in _children(el, "SegmentTemplate")[:1]
                ]
                if not templates:
                    raise _unsupported(
                        url_path,
                        f"Representation {rep.get('id')!r} has no SegmentTemplate "
                        "(SegmentBase and SegmentList cannot be looped by number)",
                    )
                try:
                    parsed = self._rep(root_dir, self._base(aset_base, rep), rep, templates)
                except (ValueError, KeyError, ZeroDivisionError) as exc:
                    raise _unsupported(url_path, f"bad SegmentTemplate ({exc})") from exc
                self.reps.append(parsed)
        if not self.reps:
            raise _unsupported(url_path, "no Representations")
        self.max_segment_s = max(max(r.durations) / r.timescale for r in self.reps)

    def _base(self, base: str, el: ET.Element) -> str:
        urls = _children(el, "BaseURL")
        if not urls or not (urls[0].text or "").strip():
            return base
        text = (urls[0].text or "").strip()
        if urlsplit(text).scheme:
            raise _unsupported(self.url_path, f"absolute BaseURL {text!r}")
        return urlsplit(urljoin("http://origin" + base, text)).path

    def _rep(
        self,
        root_dir: Path,
        base: str,
        rep: ET.Element,
        templates: list[ET.Element],
    ) -> _DashRep:
        attrs: dict[str, str] = {}
        timeline: ET.Element | None = None
        for tmpl in templates:  # Period, then AdaptationSet, then Representation overrides
            attrs.update(tmpl.attrib)
            tl = _children(tmpl, "SegmentTimeline")
            if tl:
                timeline = tl[0]
        rep_id = rep.get("id", "")
        media = attrs.get("media")
        if not media or "$Number" not in media or "$Time" in media:
            raise _unsupported(self.url_path, f"{rep_id!r}: media template must use $Number$")
        ts = int(attrs.get("timescale", "1"))
        pto = int(attrs.get("presentationTimeOffset", "0"))
        start_number = int(attrs.get("startNumber", "1"))
        loop_ticks = self.loop_s * ts
        starts: list[int] = []
        durs: list[int] = []
        if timeline is not None:
            t = pto
            for s_el in _children(timeline, "S"):
                t = int(s_el.get("t", t))
                d = int(s_el.get("d", "0"))
                if d <= 0:
                    raise _unsupported(self.url_path, f"{rep_id!r}: S without a positive @d")
                r = int(s_el.get("r", "0"))
                count = math.ceil((pto + loop_ticks - t) / d) if r < 0 else r + 1
                for _ in range(max(0, count)):
                    starts.append(t)
                    durs.append(d)
                    t += d
        elif "duration" in attrs:
            d = int(attrs["duration"])
            if d <= 0:
                raise _unsupported(self.url_path, f"{rep_id!r}: SegmentTemplate@duration <= 0")
            for k in range(math.ceil(loop_ticks / d)):
                starts.append(pto + k * d)
                durs.append(d)
        else:
            raise _unsupported(self.url_path, f"{rep_id!r}: neither @duration nor a timeline")
        # Trim to the loop: nothing may spill into the next loop's first segment.
        end_ticks = pto + loop_ticks
        kept = [(t, min(d, math.floor(end_ticks - t))) for t, d in zip(starts, durs, strict=True)]
        kept = [(t, d) for t, d in kept if t < end_ticks and d > 0]
        if not kept:
            raise _unsupported(self.url_path, f"{rep_id!r}: no segments")
        starts = [t for t, _ in kept]
        durs = [d for _, d in kept]
        values: dict[str, str | int] = {"RepresentationID": rep_id}
        if rep.get("bandwidth"):
            values["Bandwidth"] = int(rep.get("bandwidth", "0"))
        init_path: Path | None = None
        initialization = attrs.get("initialization")
        if initialization:
            rel = urlsplit(urljoin("http://origin" + base, _expand(initialization, values))).path
            init_path = resolve_path(root_dir, rel)
        ends = [(t - pto + d) / ts for t, d in zip(starts, durs, strict=True)]
        loop = _Loop(ends, float(self.loop_s))
        out = _DashRep(
            rep_id=rep_id,
            timescale=ts,
            pto=pto,
            start_number=start_number,
            media=media,
            initialization=initialization,
            starts=starts,
            durations=durs,
            loop=loop,
            regex=_number_regex(urlsplit(urljoin("http://origin" + base, media)).path, values),
            init_path=init_path,
            base=base,
            values=values,
        )
        if init_path is not None:
            out.track_timescales = track_timescales(init_path.read_bytes())
        return out

    # -- rendering ---------------------------------------------------------------------

    def render(self, ast: float, now: float, config: LiveConfig) -> bytes:
        """The dynamic MPD at wall time ``now``."""
        doc = copy.deepcopy(self.doc)
        elapsed = now - ast
        mup = config.min_update_period_s or self.max_segment_s
        doc.set("type", "dynamic")
        doc.attrib.pop("mediaPresentationDuration", None)
        doc.set("availabilityStartTime", _iso_datetime(ast))
        doc.set("publishTime", _iso_datetime(now))
        doc.set("minimumUpdatePeriod", _iso_duration(mup))
        doc.set("timeShiftBufferDepth", _iso_duration(config.window_s))
        doc.set(
            "suggestedPresentationDelay",
            _iso_duration(min(config.window_s / 2, 3 * self.max_segment_s)),
        )
        if "maxSegmentDuration" not in doc.attrib:
            doc.set("maxSegmentDuration", _iso_duration(self.max_segment_s))
        ns = doc.tag[: doc.tag.index("}") + 1] if doc.tag.startswith("{") else ""
        period = _children(doc, "Period")[0]
        period.attrib.pop("duration", None)
        period.set("start", "PT0S")
        period.set("id", period.get("id", "0"))
        for el in [period, *_children(period, "AdaptationSet")]:
            for t in _children(el, "SegmentTemplate"):
                el.remove(t)
        reps = [
            r for a in _children(period, "AdaptationSet") for r in _children(a, "Representation")
        ]
        for rep_el, rep in zip(reps, self.reps, strict=True):
            for t in _children(rep_el, "SegmentTemplate"):
                rep_el.remove(t)
            rep_el.append(self._template(ns, rep, elapsed, config.window_s))
        for old in _children(doc, "UTCTiming"):
            doc.remove(old)
        timing = ET.SubElement(doc, ns + "UTCTiming")
        timing.set("schemeIdUri", "urn:mpeg:dash:utc:direct:2014")
        timing.set("value", _iso_datetime(now))
        for prefix, uri in self.namespaces:
            if prefix:  # keep the document's own prefixes (cenc:, xlink:, ...)
                with contextlib.suppress(ValueError):
                    ET.register_namespace(prefix, uri)
        if ns:
            # Write the MPD namespace as the default one without registering "" globally
            # (ElementTree's default_namespace option refuses unprefixed attributes).
            for el in doc.iter():
                if isinstance(el.tag, str) and el.tag.startswith(ns):
                    el.tag = el.tag[len(ns) :]
            doc.set("xmlns", ns[1:-1])
        body: bytes = ET.tostring(doc, encoding="utf-8", xml_declaration=True)
        return body

    def _template(self, ns: str, rep: _DashRep, elapsed: float, depth: float) -> ET.Element:
        window = rep.loop.window(elapsed, depth)
        tmpl = ET.Element(ns + "SegmentTemplate")
        tmpl.set("timescale", str(rep.timescale))
        if rep.initialization:
            tmpl.set("initialization", rep.initialization)
        tmpl.set("media", rep.media)
        tmpl.set("startNumber", str(rep.start_number + window.start))
        if rep.pto:
            tmpl.set("presentationTimeOffset", str(rep.pto))
        timeline = ET.SubElement(tmpl, ns + "SegmentTimeline")
        last: ET.Element | None = None
        next_t = -1
        last_d = -1
        repeat = 0
        for g in window:
            k, i = divmod(g, rep.loop.n)
            t = rep.starts[i] + round(k * self.loop_s * rep.timescale)
            d = rep.durations[i]
            if last is not None and t == next_t and d == last_d:
                repeat += 1
                last.set("r", str(repeat))
            else:
                last = ET.SubElement(timeline, ns + "S")
                last.set("t", str(t))
                last.set("d", str(d))
                repeat = 0
            next_t, last_d = t + d, d
        return tmpl

    # -- segments ------------------------------------------------------------------------

    def match(self, url_path: str) -> tuple[_DashRep, int] | None:
        """The Representation and live number a media URL path names, if any."""
        for rep in self.reps:
            m = rep.regex.match(url_path)
            if m:
                return rep, int(m.group("number"))
        return None


# ---------------------------------------------------------------------------------------
# HLS


@dataclass(frozen=True, slots=True)
class _HlsSegment:
    uri: str
    duration: float
    byterange: str | None  # "length@offset", explicit
    map_line: str | None
    key_line: str | None


@dataclass(slots=True)
class _HlsPlaylist:
    url_path: str
    version: int | None
    target_duration: int
    media_sequence: int
    independent: bool
    segments: list[_HlsSegment]
    loop: _Loop | None = None

    @property
    def total_s(self) -> float:
        return sum(s.duration for s in self.segments)


def _parse_hls(url_path: str, text: str) -> _HlsPlaylist | None:
    try:
        pl: Any = m3u8.loads(text)
    except Exception as exc:  # m3u8 raises assorted errors on malformed input
        raise _unsupported(url_path, f"unparsable playlist ({exc})") from exc
    if pl.is_variant or not pl.segments:
        return None
    segs: list[_HlsSegment] = []
    next_offset: dict[str, int] = {}
    for seg in pl.segments:
        byterange = None
        if seg.byterange:
            length, _, off = str(seg.byterange).partition("@")
            offset = int(off) if off else next_offset.get(seg.uri, 0)
            next_offset[seg.uri] = offset + int(length)
            byterange = f"{int(length)}@{offset}"
        key = seg.key
        key_line = str(key) if key is not None and getattr(key, "method", None) else None
        map_line = str(seg.init_section) if seg.init_section is not None else None
        segs.append(_HlsSegment(seg.uri, float(seg.duration), byterange, map_line, key_line))
    return _HlsPlaylist(
        url_path=url_path,
        version=pl.version,
        target_duration=int(pl.target_duration or math.ceil(max(s.duration for s in segs))),
        media_sequence=int(pl.media_sequence or 0),
        independent=bool(pl.is_independent_segments),
        segments=segs,
    )


def _render_hls(pl: _HlsPlaylist, ast: float, now: float, depth: float) -> bytes:
    assert pl.loop is not None
    loop = pl.loop
    window = loop.window(now - ast, depth)
    lines = ["#EXTM3U"]
    if pl.version:
        lines.append(f"#EXT-X-VERSION:{pl.version}")
    lines.append(f"#EXT-X-TARGETDURATION:{pl.target_duration}")
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{pl.media_sequence + window.start}")
    first_loop = window.start // loop.n
    lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{first_loop}")
    if pl.independent:
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    cur_map: str | None = None
    cur_key: str | None = None
    for g in window:
        i = g % loop.n
        seg = pl.segments[i]
        fresh = g == window.start
        if i == 0 and not fresh:
            lines.append("#EXT-X-DISCONTINUITY")
            fresh = True
        if seg.key_line and (fresh or seg.key_line != cur_key):
            lines.append(seg.key_line)
        if seg.map_line and (fresh or seg.map_line != cur_map):
            lines.append(seg.map_line)
        cur_key, cur_map = seg.key_line, seg.map_line
        if fresh:
            start = loop.end_of(g) - seg.duration
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_iso_datetime(ast + start)}")
        lines.append(f"#EXTINF:{seg.duration:.6f},")
        if seg.byterange:
            lines.append(f"#EXT-X-BYTERANGE:{seg.byterange}")
        lines.append(seg.uri)
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------------------------------


class LiveSource:
    """Live views of the VOD title(s) in a folder: every MPD and media playlist.

    Raises ``PlayerError(UNSUPPORTED_FEATURE)`` for a title that cannot be looped
    (several Periods, SegmentBase, ``$Time$`` templates, ...) and
    ``PlayerError(INVALID_ARGUMENT)`` when the folder holds neither.
    """

    def __init__(self, root: Path, config: LiveConfig) -> None:
        self.root = root
        self.config = config
        self.ast = config.availability_start or 0.0
        self.dash: dict[str, _DashTitle] = {}
        self.hls: dict[str, _HlsPlaylist] = {}
        for path in sorted(root.rglob("*.mpd")):
            url = "/" + path.relative_to(root).as_posix()
            self.dash[url] = _DashTitle(root, url, path.read_bytes())
        for path in sorted(root.rglob("*.m3u8")):
            url = "/" + path.relative_to(root).as_posix()
            pl = _parse_hls(url, path.read_text(encoding="utf-8", errors="replace"))
            if pl is not None:
                self.hls[url] = pl
        if not self.dash and not self.hls:
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"{root} holds no MPD and no HLS media playlist to serve as live",
                data={"path": str(root)},
            )
        if self.hls:
            loop_s = max(p.total_s for p in self.hls.values())
            for p in self.hls.values():
                ends = list(itertools.accumulate(s.duration for s in p.segments))
                p.loop = _Loop(ends, loop_s)

    def start(self) -> None:
        """Fix the availability start time (now minus one window, unless configured)."""
        if self.config.availability_start is not None:
            self.ast = self.config.availability_start
        else:
            self.ast = float(math.floor(self.config.clock() - self.config.window_s))

    def now(self) -> float:
        """Wall-clock time of the live stream (POSIX seconds)."""
        return self.config.clock()

    def body_for(self, url_path: str) -> Body | None:
        """The live body for a URL path; None to serve the file unchanged. Raises
        ``PlayerError`` (with ``data["status"]`` 404) for segments outside the window."""
        now = self.now()
        if url_path in self.dash:
            data = self.dash[url_path].render(self.ast, now, self.config)
            return Body.of_bytes(data, "application/dash+xml", cache_control=_MANIFEST_CACHE)
        if url_path in self.hls:
            data = _render_hls(self.hls[url_path], self.ast, now, self.config.window_s)
            return Body.of_bytes(
                data, "application/vnd.apple.mpegurl", cache_control=_MANIFEST_CACHE
            )
        for title in self.dash.values():
            hit = title.match(url_path)
            if hit is not None:
                return self._segment(title, *hit, now)
        return None

    def _segment(self, title: _DashTitle, rep: _DashRep, number: int, now: float) -> Body | None:
        g = number - rep.start_number
        if 0 <= g < rep.loop.n:
            return None  # the first loop: the VOD file itself
        if g < 0:
            raise PlayerError(Code.SEGMENT_NOT_FOUND, f"no segment {number}", data={"status": 404})
        end = rep.loop.end_of(g)
        elapsed = now - self.ast
        if end > elapsed + _GRACE_S or end < elapsed - self.config.window_s - _GRACE_S:
            raise PlayerError(
                Code.SEGMENT_NOT_FOUND,
                f"live segment {number} is outside the availability window",
                data={"status": 404, "number": number},
            )
        k, i = divmod(g, rep.loop.n)
        name = _expand(rep.media, rep.values | {"Number": rep.start_number + i})
        vod_path = resolve_path(self.root, urlsplit(urljoin("http://origin" + rep.base, name)).path)
        if vod_path is None:
            raise PlayerError(
                Code.SEGMENT_NOT_FOUND, f"VOD segment for {number} missing", data={"status": 404}
            )
        data = shift_decode_times(
            vod_path.read_bytes(), k * title.loop_s, rep.track_timescales, rep.timescale
        )
        return Body.of_bytes(data, content_type_for(vod_path))

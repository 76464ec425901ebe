"""HLS playlists -> the manifest model, on ``m3u8`` (see :mod:`._m3u8_fix` for its gaps).

A master (multivariant) playlist becomes one period: a track holding the variant ladder,
one track per ``EXT-X-MEDIA`` rendition (by GROUP-ID), a track of I-frame playlists and
one of image playlists. Their media playlists are not fetched: each representation's
index is an :class:`~player.manifest.model.IndexRequest` (``kind="hls-playlist"``), or,
when the caller gave a loader, an index that loads itself on first use. A media playlist
on its own is one period, one track, one representation.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from player.errors import Code, PlayerError
from player.manifest._dash import codec_kinds, normalize_kid, system_of
from player.manifest._index import ExplicitIndex
from player.manifest._m3u8_fix import RawPlaylist, run_m3u8
from player.manifest._time import parse_datetime
from player.manifest._urls import resolve_url
from player.manifest.model import (
    ByteRange,
    ContentProtection,
    Event,
    IndexRequest,
    InitSegment,
    LiveInfo,
    Part,
    Period,
    PreloadHint,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    SegmentKey,
    Track,
    TrackKind,
)

_BYTERANGE = re.compile(r"^\s*(\d{1,18})\s*(?:@\s*(\d{0,18}))?\s*$")
_RESOLUTION = re.compile(r"^\s*(\d{1,6})\s*[xX]\s*(\d{1,6})\s*$")
_KEYFORMAT_SYSTEMS = {
    "com.apple.streamingkeydelivery": ("fairplay", "94ce86fb-07ff-4f43-adb8-93d2fa968ca2"),
    "com.microsoft.playready": ("playready", "9a04f079-9840-4286-ab92-e65be0885f95"),
    "org.w3.clearkey": ("clearkey", "e2719d58-a985-b3c9-781a-b030af78d30e"),
}
_EXT_KINDS = {
    ".ts": TrackKind.VIDEO,
    ".mp4": TrackKind.VIDEO,
    ".m4s": TrackKind.VIDEO,
    ".m4v": TrackKind.VIDEO,
    ".cmfv": TrackKind.VIDEO,
    ".aac": TrackKind.AUDIO,
    ".m4a": TrackKind.AUDIO,
    ".mp3": TrackKind.AUDIO,
    ".ac3": TrackKind.AUDIO,
    ".ec3": TrackKind.AUDIO,
    ".cmfa": TrackKind.AUDIO,
    ".vtt": TrackKind.TEXT,
    ".webvtt": TrackKind.TEXT,
    ".cmft": TrackKind.TEXT,
    ".jpg": TrackKind.IMAGE,
    ".jpeg": TrackKind.IMAGE,
    ".png": TrackKind.IMAGE,
}


@dataclass(frozen=True, slots=True)
class HlsPlaylistInfo:
    """What a media playlist says besides its segments."""

    url: str
    version: int | None
    target_duration: float | None
    media_sequence: int
    discontinuity_sequence: int
    playlist_type: str | None
    endlist: bool
    i_frames_only: bool = False
    independent_segments: bool = False
    images_only: bool = False
    part_target: float | None = None
    server_control: dict[str, Any] = field(default_factory=dict)
    skipped_segments: int = 0
    recently_removed_dateranges: tuple[str, ...] = ()
    preload_hints: tuple[PreloadHint, ...] = ()
    pending_parts: tuple[Part, ...] = ()
    rendition_reports: tuple[dict[str, Any], ...] = ()
    start_offset: float | None = None
    start_precise: bool = False
    events: tuple[Event, ...] = ()
    protection: tuple[ContentProtection, ...] = ()
    bitrate: int | None = None
    ad_cues: tuple[dict[str, Any], ...] = ()  # EXT-X-CUE-OUT/IN, SCTE-35 per segment
    estimated_numbers: tuple[int, ...] = ()  # segments whose duration was not given
    notes: tuple[str, ...] = ()
    digest: str = ""

    @property
    def is_live(self) -> bool:
        """Whether the playlist may still grow (no ENDLIST and not a VOD playlist)."""
        return not self.endlist and (self.playlist_type or "").upper() != "VOD"


class HlsPlaylistIndex(ExplicitIndex):
    """The segments of one HLS media playlist, with :attr:`info` on the rest of it."""

    def __init__(self, segments: list[Segment], info: HlsPlaylistInfo) -> None:
        super().__init__(segments, segments[0].init if segments else None)
        self.info = info

    @property
    def total_duration(self) -> float:
        """Sum of the segment durations."""
        return sum(s.duration for s in self)


def _fail(message: str, line: int | None = None) -> PlayerError:
    where = f"line {line}: " if line else ""
    return PlayerError(Code.HLS_INVALID, where + message, data={"line": line})


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail("playlist is not UTF-8", line) from None


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _byterange(text: str, prev_end: int | None, line: int | None) -> ByteRange:
    m = _BYTERANGE.match(text)
    if m is None:
        raise _fail(f"byte range {text[:40]!r} is not 'length[@offset]'", line)
    length = int(m.group(1))
    if length <= 0:
        raise _fail(f"byte range {text!r} has no bytes", line)
    # No offset: the range follows the previous segment's (RFC 8216 4.3.2.2).
    follows = 0 if prev_end is None else prev_end + 1
    start = int(m.group(2)) if m.group(2) else follows
    return ByteRange(start, start + length - 1)


def _posix(value: Any) -> float | None:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        return float(value.timestamp())
    return None


def _key(attrs: dict[str, str], base: str, line: int) -> SegmentKey | None:
    method = attrs.get("METHOD", "").upper()
    if not method:
        raise _fail("EXT-X-KEY without METHOD", line)
    if method == "NONE":
        return None
    uri = attrs.get("URI")
    if uri is None:
        raise _fail(f"EXT-X-KEY METHOD={method} without URI", line)
    iv: bytes | None = None
    if "IV" in attrs:
        text = attrs["IV"]
        hexpart = text[2:] if text[:2] in ("0x", "0X") else text
        try:
            iv = bytes.fromhex(hexpart)
        except ValueError:
            raise _fail(f"EXT-X-KEY IV {text[:40]!r} is not hexadecimal", line) from None
        if len(iv) != 16:
            raise _fail(f"EXT-X-KEY IV has {len(iv)} bytes, not 16", line)
    if not uri.startswith(("data:", "skd:")):
        uri = resolve_url(base, uri, f"line {line}")
    return SegmentKey(
        method=method,
        uri=uri,
        iv=iv,
        keyformat=attrs.get("KEYFORMAT", "identity"),
        keyformat_versions=attrs.get("KEYFORMATVERSIONS"),
    )


def key_protection(key: SegmentKey, attrs: dict[str, str]) -> ContentProtection | None:
    """The DRM system signalled by an ``EXT-X-KEY`` with a KEYFORMAT, if any."""
    keyformat = key.keyformat.strip()
    if keyformat.lower() == "identity":
        return None
    system, system_id = _KEYFORMAT_SYSTEMS.get(keyformat.lower(), (None, None))
    if system is None:
        system, system_id = system_of(keyformat)
    pssh: bytes | None = None
    extra: list[tuple[str, str]] = [("method", key.method)]
    if key.uri and key.uri.startswith("data:") and ";base64," in key.uri:
        try:
            payload = base64.b64decode(key.uri.split(";base64,", 1)[1], validate=True)
        except (binascii.Error, ValueError):
            payload = b""
        if payload[4:8] == b"pssh":
            pssh = payload
        elif payload:
            extra.append(("data", key.uri))
    elif key.uri:
        extra.append(("uri", key.uri))
    kid = normalize_kid(attrs["KEYID"][2:]) if attrs.get("KEYID", "")[:2] in ("0x", "0X") else None
    return ContentProtection(
        scheme_id_uri=keyformat,
        system=system,
        system_id=system_id,
        value=key.method,
        default_kid=kid,
        pssh=pssh,
        extra=tuple(extra),
    )


def parse_media_playlist(
    data: bytes, url: str, *, start: float = 0.0, previous: HlsPlaylistIndex | None = None
) -> HlsPlaylistIndex:
    """Parse a media playlist into its index.

    ``start`` is the presentation time of the first listed segment. With ``previous``
    (an earlier load of the same playlist) segments are placed on its timeline and an
    ``EXT-X-SKIP`` delta update is filled in from it.
    """
    text = _decode(data)
    raw = run_m3u8(text)
    if raw.is_master:
        raise _fail("expected a media playlist, got a master playlist")
    return _media_index(raw, url, start, previous, hashlib.sha1(data).hexdigest())


def _media_index(
    raw: RawPlaylist, url: str, start: float, previous: HlsPlaylistIndex | None, digest: str
) -> HlsPlaylistIndex:
    d = raw.data
    media_sequence = int(d.get("media_sequence") or 0)
    skip = d.get("skip") or {}
    skipped = int(skip.get("skipped_segments") or 0)
    if skipped < 0:
        raise _fail("EXT-X-SKIP SKIPPED-SEGMENTS is negative")
    first_number = media_sequence + skipped
    keys_by_pos = sorted(raw.recorded.keys, key=lambda k: k[0])
    key_state: dict[str, tuple[SegmentKey | None, dict[str, str]]] = {}
    key_cursor = 0
    protections: list[ContentProtection] = []
    segments: list[Segment] = []
    pending_parts: tuple[Part, ...] = ()
    prev_end: int | None = None
    part_end: dict[str, int] = {}
    map_end: int | None = None
    init_cache: dict[tuple[str, str | None], InitSegment] = {}
    t = start
    cues: list[dict[str, Any]] = []
    uri_lines = raw.segment_lines
    listed = [s for s in d["segments"] if "uri" in s]
    for i, s in enumerate(d["segments"]):
        line = uri_lines[i] if i < len(uri_lines) else None
        while key_cursor < len(keys_by_pos) and keys_by_pos[key_cursor][0] <= i:
            _pos, kline, attrs = keys_by_pos[key_cursor]
            key = _key(attrs, url, kline)
            if key is None:
                key_state.clear()
            else:
                key_state[key.keyformat.lower()] = (key, attrs)
                cp = key_protection(key, attrs)
                if cp is not None and cp not in protections:
                    protections.append(cp)
            key_cursor += 1
        parts = tuple(_parts(s.get("parts") or [], url, part_end, line))
        if "uri" not in s:
            pending_parts = parts  # the segment being produced (LL-HLS)
            continue
        duration = s.get("duration")
        if duration is None:
            raise _fail("segment without EXTINF duration", line)
        byte_range = None
        if s.get("byterange"):
            byte_range = _byterange(str(s["byterange"]), prev_end, line)
            prev_end = byte_range.end
        init = None
        section = s.get("init_section")
        if section:
            map_uri = section.get("uri")
            if not map_uri:
                raise _fail("EXT-X-MAP without URI", line)
            br = _unquote(section.get("byterange"))
            cache_key = (str(map_uri), br)
            init = init_cache.get(cache_key)
            if init is None:
                init_range = _byterange(str(br), None, line) if br else None
                if init_range is not None:
                    map_end = init_range.end
                init = InitSegment((resolve_url(url, str(map_uri), f"line {line}"),), init_range)
                init_cache[cache_key] = init
        primary = next(iter(key_state.values()), (None, {}))[0] if key_state else None
        seg_uri = resolve_url(url, str(s["uri"]), f"line {line}")
        segments.append(
            Segment(
                number=first_number + len(segments),
                start=t,
                duration=float(duration),
                urls=(seg_uri,),
                byte_range=byte_range,
                init=init,
                discontinuity=bool(s.get("discontinuity")),
                gap=bool(s.get("gap_tag")),
                key=primary,
                program_date_time=_posix(s.get("current_program_date_time")),
                parts=parts,
            )
        )
        cue = _ad_cue(s, segments[-1].number)
        if cue:
            cues.append(cue)
        t += float(duration)
    del listed, map_end
    segments = _backfill_pdt(segments)
    if previous is not None:
        segments = _align(segments, previous, skipped, first_number, raw)
    preload = tuple(_preload_hint(attrs, url) for _pos, attrs in raw.recorded.preload_hints)
    server_control = {
        k: (_unquote(v) == "YES" if k.startswith("can_") and k != "can_skip_until" else v)
        for k, v in (d.get("server_control") or {}).items()
    }
    start_info = d.get("start") or {}
    target = d.get("targetduration")
    estimated = tuple(first_number + p for p in sorted(raw.estimated) if p < len(segments))
    removed = str(_unquote(skip.get("recently_removed_dateranges") or ""))
    info = HlsPlaylistInfo(
        url=url,
        version=d.get("version"),
        target_duration=float(target) if target is not None else None,
        media_sequence=media_sequence,
        discontinuity_sequence=int(d.get("discontinuity_sequence") or 0),
        playlist_type=(str(d["playlist_type"]).upper() or None) if d.get("playlist_type") else None,
        endlist=bool(d.get("is_endlist")),
        i_frames_only=bool(d.get("is_i_frames_only")),
        independent_segments=bool(d.get("is_independent_segments")),
        images_only=bool(d.get("is_images_only")),
        part_target=(d.get("part_inf") or {}).get("part_target"),
        server_control=server_control,
        skipped_segments=skipped,
        recently_removed_dateranges=tuple(x for x in re.split(r"\s+", removed) if x),
        preload_hints=preload,
        pending_parts=pending_parts,
        rendition_reports=tuple(
            {**r, "uri": resolve_url(url, str(r.get("uri", "")))}
            for r in d.get("rendition_reports") or []
        ),
        start_offset=start_info.get("time_offset"),
        start_precise=_unquote(start_info.get("precise")) == "YES",
        events=tuple(_dateranges(raw, segments)),
        protection=tuple(protections),
        bitrate=raw.recorded.bitrates[0][1] if raw.recorded.bitrates else None,
        ad_cues=tuple(cues),
        estimated_numbers=estimated,
        notes=tuple(raw.notes),
        digest=digest,
    )
    return HlsPlaylistIndex(segments, info)


def _ad_cue(s: dict[str, Any], number: int) -> dict[str, Any]:
    """The ad-insertion signalling ``m3u8`` read for one segment (empty when none)."""
    cue: dict[str, Any] = {}
    for key in ("cue_out", "cue_out_start", "cue_in"):
        if s.get(key):
            cue[key] = True
    for key in ("scte35", "oatcls_scte35", "scte35_duration", "scte35_elapsedtime"):
        if s.get(key) is not None:
            cue[key] = str(s[key])
    if cue:
        cue["number"] = number
    return cue


def _parts(
    raw_parts: list[dict[str, Any]], base: str, part_end: dict[str, int], line: int | None
) -> list[Part]:
    out: list[Part] = []
    for p in raw_parts:
        uri = p.get("uri")
        duration = p.get("duration")
        if not uri or duration is None:
            raise _fail("EXT-X-PART needs URI and DURATION", line)
        resolved = resolve_url(base, str(uri), f"line {line}")
        byte_range = None
        if p.get("byterange"):
            byte_range = _byterange(str(_unquote(p["byterange"])), part_end.get(resolved), line)
            assert byte_range.end is not None
            part_end[resolved] = byte_range.end
        out.append(
            Part(
                url=resolved,
                duration=float(duration),
                independent=_unquote(p.get("independent")) == "YES",
                byte_range=byte_range,
                gap=_unquote(p.get("gap")) == "YES" or bool(p.get("gap_tag")),
            )
        )
    return out


def _preload_hint(attrs: dict[str, str], base: str) -> PreloadHint:
    uri = attrs.get("URI")
    if not uri:
        raise _fail("EXT-X-PRELOAD-HINT without URI")
    start_text = attrs.get("BYTERANGE-START", "0")
    length_text = attrs.get("BYTERANGE-LENGTH")
    byte_range = None
    if "BYTERANGE-START" in attrs or length_text is not None:
        if not start_text.isdigit() or (length_text is not None and not length_text.isdigit()):
            raise _fail("EXT-X-PRELOAD-HINT byte range is not numeric")
        start = int(start_text)
        end = start + int(length_text) - 1 if length_text is not None else None
        byte_range = ByteRange(start, end)
    return PreloadHint(attrs.get("TYPE", "").upper(), resolve_url(base, uri), byte_range)


def _backfill_pdt(segments: list[Segment]) -> list[Segment]:
    """Segments before the first PROGRAM-DATE-TIME get one counted back from it."""
    first = next((i for i, s in enumerate(segments) if s.program_date_time is not None), None)
    if not first:
        return segments
    anchor = segments[first]
    assert anchor.program_date_time is not None
    out = list(segments)
    for i in range(first):
        s = segments[i]
        out[i] = _replace(s, program_date_time=anchor.program_date_time - (anchor.start - s.start))
    return out


def _replace(seg: Segment, **changes: Any) -> Segment:
    values = {name: getattr(seg, name) for name in seg.__dataclass_fields__}
    values.update(changes)
    return Segment(**values)


def _align(
    segments: list[Segment],
    previous: HlsPlaylistIndex,
    skipped: int,
    first_number: int,
    raw: RawPlaylist,
) -> list[Segment]:
    """Place a reloaded playlist's segments on the previous load's timeline."""
    filled: list[Segment] = []
    if skipped:
        for n in range(first_number - skipped, first_number):
            old = previous.by_number(n)
            if old is None:
                raise PlayerError(
                    Code.MEDIA_PLAYLIST_UNAVAILABLE,
                    f"delta update skips segment {n}, which the previous load does not have",
                    recoverable=True,
                )
            filled.append(old)
    if not segments:
        return filled
    shift: float | None = None
    for seg in segments:
        old = previous.by_number(seg.number)
        if old is not None:
            shift = old.start - seg.start
            break
    if shift is None and filled:
        shift = filled[-1].end - segments[0].start
    if shift is None:
        # No overlap: by program date time when both have it, else after the old end.
        old_last = previous.by_number(previous.last_number or 0)
        new_first = segments[0]
        if (
            old_last is not None
            and old_last.program_date_time is not None
            and new_first.program_date_time is not None
        ):
            shift = (
                old_last.start
                + (new_first.program_date_time - old_last.program_date_time)
                - new_first.start
            )
        elif old_last is not None:
            shift = old_last.end - new_first.start
        else:
            shift = 0.0
    del raw
    moved = [_replace(s, start=s.start + shift) for s in segments]
    return filled + moved


def _dateranges(raw: RawPlaylist, segments: list[Segment]) -> list[Event]:
    anchor = next((s for s in segments if s.program_date_time is not None), None)
    out: list[Event] = []
    for _pos, line, attrs, text in raw.recorded.dateranges:
        start_date = parse_datetime(attrs.get("START-DATE", ""))
        if "START-DATE" in attrs and start_date is None:
            raise _fail(f"EXT-X-DATERANGE START-DATE {attrs['START-DATE'][:40]!r} is invalid", line)
        start = 0.0
        if start_date is not None and anchor is not None and anchor.program_date_time is not None:
            start = anchor.start + float(start_date - Fraction(anchor.program_date_time))
        duration: float | None = None
        for name in ("DURATION", "PLANNED-DURATION"):
            if name in attrs:
                try:
                    duration = float(attrs[name])
                except ValueError:
                    raise _fail(f"EXT-X-DATERANGE {name} is not a number", line) from None
                break
        if duration is None and "END-DATE" in attrs and start_date is not None:
            end = parse_datetime(attrs["END-DATE"])
            if end is not None:
                duration = float(end - start_date)
        out.append(
            Event(
                scheme_id_uri=attrs.get("CLASS", ""),
                value=attrs.get("CLASS"),
                id=attrs.get("ID"),
                start=start,
                duration=duration,
                message=text,
            )
        )
    return out


def _resolution(value: Any, line: int | None = None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    m = _RESOLUTION.match(str(_unquote(value)))
    if m is None:
        raise _fail(f"RESOLUTION {str(value)[:30]!r} is not WxH", line)
    return int(m.group(1)), int(m.group(2))


def _media_kind(index: HlsPlaylistIndex) -> TrackKind:
    if index.info.images_only:
        return TrackKind.IMAGE
    if index.info.i_frames_only:
        return TrackKind.VIDEO
    first = index.by_number(index.first_number)
    if first is not None:
        path = first.url.split("?", 1)[0].lower()
        for ext, kind in _EXT_KINDS.items():
            if path.endswith(ext):
                return kind
    return TrackKind.VIDEO


def parse_hls(data: bytes, url: str, loader: Callable[[str], bytes] | None = None) -> Presentation:
    """Parse a master or media playlist into a :class:`Presentation`."""
    text = _decode(data)
    raw = run_m3u8(text)
    if not raw.is_master:
        index = _media_index(raw, url, 0.0, None, hashlib.sha1(data).hexdigest())
        return media_presentation(index, url)
    return _master(raw, url, loader)


def media_presentation(index: HlsPlaylistIndex, url: str) -> Presentation:
    """A presentation of one media playlist: one period, track and representation."""
    info = index.info
    kind = _media_kind(index)
    rep = Representation(
        id="0",
        bandwidth=info.bitrate or 0,
        base_urls=(url,),
        index=index,
        extra={"hls_notes": list(info.notes)} if info.notes else {},
    )
    track = Track(
        id="0",
        kind=kind,
        representations=[rep],
        protection=info.protection,
        is_iframe_only=info.i_frames_only,
    )
    duration = index.total_duration if not info.is_live else None
    period = Period(None, 0.0, duration, [track], list(info.events))
    return Presentation(
        format="hls",
        url=url,
        periods=[period],
        is_live=info.is_live,
        duration=duration,
        live=_live_info(info) if info.is_live else None,
        extra={"hls_media_playlist": True},
    )


def _live_info(info: HlsPlaylistInfo) -> LiveInfo:
    return LiveInfo(target_duration=info.target_duration, part_target=info.part_target)


def _playlist_request(uri: str) -> IndexRequest:
    def resolve(data: bytes) -> SegmentIndex:
        return parse_media_playlist(data, uri)

    return IndexRequest(kind="hls-playlist", urls=(uri,), byte_range=None, resolve=resolve)


def _master(raw: RawPlaylist, url: str, loader: Callable[[str], bytes] | None) -> Presentation:
    d = raw.data
    session: list[ContentProtection] = []
    for attrs in d.get("session_keys") or []:
        attrs_u = {k.upper().replace("_", "-"): str(_unquote(v)) for k, v in attrs.items()}
        key = _key(attrs_u, url, 0)
        if key is not None:
            cp = key_protection(key, attrs_u)
            if cp is not None and cp not in session:
                session.append(cp)

    def index_for(uri: str) -> Any:
        request = _playlist_request(uri)
        if loader is None:
            return request
        from player.manifest._loading import LazyIndex

        return LazyIndex(request, loader)

    reps: list[Representation] = []
    for i, v in enumerate(d.get("playlists") or []):
        si = {k: _unquote(val) for k, val in (v.get("stream_info") or {}).items()}
        uri = resolve_url(url, str(v["uri"]))
        width, height = _resolution(si.get("resolution"))
        extra = {
            k: si[k]
            for k in (
                "audio", "video", "subtitles", "closed_captions", "program_id", "hdcp_level",
                "video_range", "supplemental_codecs", "pathway_id", "score",
            )
            if si.get(k) is not None
        }  # fmt: skip
        reps.append(
            Representation(
                id=str(si.get("stable_variant_id") or i),
                bandwidth=int(si.get("bandwidth") or 0),
                codecs=si.get("codecs"),
                width=width,
                height=height,
                frame_rate=si.get("frame_rate"),
                average_bandwidth=si.get("average_bandwidth"),
                base_urls=(uri,),
                index=index_for(uri),
                extra=extra,
            )
        )
    tracks: list[Track] = []
    if reps:
        kinds = set().union(*(codec_kinds(r.codecs) for r in reps))
        all_audio = kinds == {TrackKind.AUDIO} and not any(r.width for r in reps)
        kind = TrackKind.AUDIO if all_audio else TrackKind.VIDEO
        tracks.append(
            Track(
                id="variants",
                kind=kind,
                representations=reps,
                protection=tuple(session),
                extra={"hls_variants": True},
            )
        )
    for m in d.get("media") or []:
        mm = {k: _unquote(val) for k, val in m.items()}
        mtype = str(mm.get("type") or "").upper()
        kind = {
            "AUDIO": TrackKind.AUDIO,
            "VIDEO": TrackKind.VIDEO,
            "SUBTITLES": TrackKind.TEXT,
            "CLOSED-CAPTIONS": TrackKind.TEXT,
        }.get(mtype, TrackKind.OTHER)
        group = str(mm.get("group_id") or "")
        name = str(mm.get("name") or "")
        rreps: list[Representation] = []
        if mm.get("uri") and mtype != "CLOSED-CAPTIONS":
            uri = resolve_url(url, str(mm["uri"]))
            channels = str(mm.get("channels") or "").split("/")[0]
            rreps.append(
                Representation(
                    id=f"{mtype.lower()}:{group}:{name}",
                    bandwidth=0,
                    channels=int(channels) if channels.isdigit() and len(channels) < 6 else None,
                    base_urls=(uri,),
                    index=index_for(uri),
                )
            )
        m_extra: dict[str, Any] = {"hls_type": mtype, "muxed": not rreps}
        for k in ("autoselect", "forced", "instream_id", "assoc_language", "stable_rendition_id"):
            if mm.get(k) is not None:
                m_extra[k] = mm[k]
        tracks.append(
            Track(
                id=f"{mtype.lower()}:{group}:{name}",
                kind=kind,
                representations=rreps,
                language=mm.get("language"),
                label=name or None,
                roles=("forced-subtitle",) if mm.get("forced") == "YES" else (),
                accessibility=tuple(
                    c.strip() for c in str(mm.get("characteristics") or "").split(",") if c.strip()
                ),
                protection=tuple(session),
                group_id=group,
                is_default=mm.get("default") == "YES",
                extra=m_extra,
            )
        )
    iframe_reps: list[Representation] = []
    for i, f in enumerate(d.get("iframe_playlists") or []):
        si = {k: _unquote(val) for k, val in (f.get("iframe_stream_info") or {}).items()}
        if not f.get("uri"):
            raise _fail("EXT-X-I-FRAME-STREAM-INF without URI")
        uri = resolve_url(url, str(f["uri"]))
        width, height = _resolution(si.get("resolution"))
        iframe_reps.append(
            Representation(
                id=f"iframe-{i}",
                bandwidth=int(si.get("bandwidth") or 0),
                codecs=si.get("codecs"),
                width=width,
                height=height,
                average_bandwidth=si.get("average_bandwidth"),
                base_urls=(uri,),
                index=index_for(uri),
                extra={k: si[k] for k in ("program_id", "video_range") if si.get(k) is not None},
            )
        )
    if iframe_reps:
        tracks.append(
            Track(
                id="iframes",
                kind=TrackKind.VIDEO,
                representations=iframe_reps,
                protection=tuple(session),
                is_iframe_only=True,
            )
        )
    image_reps: list[Representation] = []
    for i, f in enumerate(d.get("image_playlists") or []):
        si = {k: _unquote(val) for k, val in (f.get("image_stream_info") or {}).items()}
        if not f.get("uri"):
            raise _fail("EXT-X-IMAGE-STREAM-INF without URI")
        uri = resolve_url(url, str(f["uri"]))
        width, height = _resolution(si.get("resolution"))
        image_reps.append(
            Representation(
                id=f"image-{i}",
                bandwidth=int(si.get("bandwidth") or 0),
                codecs=si.get("codecs"),
                width=width,
                height=height,
                base_urls=(uri,),
                index=index_for(uri),
            )
        )
    if image_reps:
        tracks.append(Track(id="images", kind=TrackKind.IMAGE, representations=image_reps))
    if not tracks:
        raise PlayerError(Code.NO_REPRESENTATIONS, "the master playlist lists no streams")
    extra_p: dict[str, Any] = {"hls_master": True}
    if d.get("session_data"):
        extra_p["session_data"] = d["session_data"]
    if d.get("content_steering"):
        extra_p["content_steering"] = d["content_steering"]
    if raw.notes:
        extra_p["hls_notes"] = raw.notes
    return Presentation(
        format="hls",
        url=url,
        periods=[Period(None, 0.0, None, tracks)],
        is_live=False,
        duration=None,
        extra=extra_p,
    )

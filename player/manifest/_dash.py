"""DASH MPD -> the manifest model, on ``mpegdash`` with its gaps closed.

``mpegdash`` reads the MPD structure and most attributes (after
:mod:`player.manifest._mpegdash_fix` has validated them); what it lacks is read from the
same DOM, walked in step with it: ``S@n``/``S@k``, DVB BaseURL priority/weight, license
URLs, ``cenc:pssh`` under any prefix, ``Label`` elements, EventStream
presentationTimeOffset and event bodies, ServiceDescription.
"""

from __future__ import annotations

import base64
import binascii
import gc
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from player.errors import Code, PlayerError
from player.manifest._index import (
    MAX_SEGMENTS,
    DashSegmentIndex,
    ExplicitIndex,
    ListEntry,
    LiveWindow,
    TimelineEntry,
    Timing,
    UniformTiming,
    build_runs,
)
from player.manifest._mpegdash_fix import Stash, element_path, prepare, run_mpegdash
from player.manifest._sidx import parse_sidx
from player.manifest._template import compile_template
from player.manifest._time import parse_datetime, parse_decimal, parse_duration
from player.manifest._urls import combine_base_urls, resolve_url
from player.manifest._xml import (
    ParsedXml,
    attr,
    attr_local,
    children,
    inner_xml,
    parse_xml,
    text_of,
)
from player.manifest.model import (
    BaseUrlInfo,
    ByteRange,
    ContentProtection,
    Event,
    IndexRequest,
    InitSegment,
    LiveInfo,
    Period,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    Track,
    TrackKind,
)

_SYSTEMS = {
    "urn:mpeg:dash:mp4protection:2011": ("cenc", None),
    "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e": (
        "clearkey",
        "e2719d58-a985-b3c9-781a-b030af78d30e",
    ),
    "urn:uuid:1077efec-c0b2-4d02-ace3-3c1e52e2fb4b": (
        "clearkey",
        "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b",
    ),
    "urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed": (
        "widevine",
        "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",
    ),
    "urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95": (
        "playready",
        "9a04f079-9840-4286-ab92-e65be0885f95",
    ),
    "urn:uuid:79f0049a-4098-8642-ab92-e65be0885f95": (
        "playready",
        "79f0049a-4098-8642-ab92-e65be0885f95",
    ),
    "urn:uuid:94ce86fb-07ff-4f43-adb8-93d2fa968ca2": (
        "fairplay",
        "94ce86fb-07ff-4f43-adb8-93d2fa968ca2",
    ),
}
_UUID = re.compile(r"^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_KID = re.compile(r"^[0-9a-f]{32}$")
_RANGE = re.compile(r"^\s*(\d{1,20})\s*-\s*(\d{1,20})?\s*$")
_TILES = re.compile(r"^\s*(\d{1,6})\s*x\s*(\d{1,6})\s*$")
_THUMBNAIL_SCHEMES = (
    "http://dashif.org/thumbnail_tile",
    "http://dashif.org/guidelines/thumbnail_tile",
)
_TRICKMODE = "http://dashif.org/guidelines/trickmode"
_SWITCHING = "urn:mpeg:dash:adaptation-set-switching:2016"

VIDEO_CODECS = (
    "avc1", "avc3", "hvc1", "hev1", "vp08", "vp09", "vp8", "vp9", "av01", "dvh1", "dvhe",
    "dva1", "dvav", "dav1", "mp4v", "vvc1", "vvi1", "lvc1", "lhe1", "hvt1",
)  # fmt: skip
AUDIO_CODECS = (
    "mp4a", "ac-3", "ec-3", "ac-4", "opus", "flac", "vorbis", "dtsc", "dtse", "dtsx",
    "dtsh", "dtsl", "mhm1", "mhm2", "mha1", "mha2", "alac", "mp3", ".mp3",
)  # fmt: skip
TEXT_CODECS = ("stpp", "wvtt", "tx3g", "c608", "evte", "vtt")


def kind_from(
    content_type: str | None, mime: str | None, codecs: str | None, roles: tuple[str, ...] = ()
) -> TrackKind:
    """The kind of a track from what its manifest says about it."""
    ct = (content_type or "").lower()
    for k in (TrackKind.VIDEO, TrackKind.AUDIO, TrackKind.TEXT, TrackKind.IMAGE):
        if ct == k.value:
            return k
    m = (mime or "").lower()
    if m.startswith("video/"):
        return TrackKind.VIDEO
    if m.startswith("audio/"):
        return TrackKind.AUDIO
    if m.startswith("text/") or m in ("application/ttml+xml", "application/x-subrip"):
        return TrackKind.TEXT
    if m.startswith("image/"):
        return TrackKind.IMAGE
    kinds = codec_kinds(codecs)
    if TrackKind.VIDEO in kinds:
        return TrackKind.VIDEO
    if TrackKind.AUDIO in kinds:
        return TrackKind.AUDIO
    if TrackKind.TEXT in kinds:
        return TrackKind.TEXT
    if any(r in ("subtitle", "caption", "forced-subtitle", "forced_subtitle") for r in roles):
        return TrackKind.TEXT
    return TrackKind.OTHER


def codec_kinds(codecs: str | None) -> set[TrackKind]:
    """Kinds named by an RFC 6381 codecs list (``avc1.64001f,mp4a.40.2``)."""
    out: set[TrackKind] = set()
    for c in (codecs or "").split(","):
        fourcc = c.strip().lower().split(".")[0]
        if not fourcc:
            continue
        if fourcc in VIDEO_CODECS:
            out.add(TrackKind.VIDEO)
        elif fourcc in AUDIO_CODECS:
            out.add(TrackKind.AUDIO)
        elif fourcc in TEXT_CODECS:
            out.add(TrackKind.TEXT)
    return out


def system_of(scheme_id_uri: str) -> tuple[str, str | None]:
    """(system name, lowercase system UUID) for a ContentProtection@schemeIdUri."""
    scheme = scheme_id_uri.strip().lower()
    if scheme in _SYSTEMS:
        return _SYSTEMS[scheme]
    m = _UUID.match(scheme)
    return ("unknown", m.group(1) if m else None)


def normalize_kid(text: str) -> str | None:
    """A KID as 32 lowercase hex digits, or None when ``text`` is not a KID."""
    kid = text.strip().replace("-", "").lower()
    return kid if _KID.match(kid) else None


def _byte_range(text: str | None, where: str) -> ByteRange | None:
    if text is None:
        return None
    m = _RANGE.match(text)
    if m is None:
        raise PlayerError(Code.INVALID_ATTRIBUTE, f"{where}: byte range {text!r} is not 'a-b'")
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) is not None else None
    if end is not None and end < start:
        raise PlayerError(
            Code.INVALID_ATTRIBUTE, f"{where}: byte range {text!r} ends before it starts"
        )
    return ByteRange(start, end)


@dataclass
class _Ctx:
    xml: ParsedXml
    stash: Stash
    url: str
    dynamic: bool
    ast: Fraction | None
    tsbd: Fraction | None

    def where(self, el: Any) -> str:
        return element_path(self.xml, el)

    def duration_attr(self, el: Any, name: str) -> Fraction | None:
        value = attr(el, name)
        if value is None:
            return None
        parsed = parse_duration(value)
        if parsed is None:
            raise PlayerError(
                Code.INVALID_ATTRIBUTE,
                f"{self.where(el)}: @{name}={value[:40]!r} is not an xs:duration",
                data={"line": self.xml.line(el)},
            )
        return parsed

    def datetime_attr(self, el: Any, name: str) -> Fraction | None:
        value = attr(el, name)
        if value is None:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            raise PlayerError(
                Code.INVALID_ATTRIBUTE,
                f"{self.where(el)}: @{name}={value[:40]!r} is not an xs:dateTime",
                data={"line": self.xml.line(el)},
            )
        return parsed


@dataclass
class _Level:
    """One level (Period, AdaptationSet, Representation) of segment information."""

    template: tuple[Any, Any] | None = None  # (mpegdash object, DOM element)
    slist: tuple[Any, Any] | None = None
    sbase: tuple[Any, Any] | None = None

    @staticmethod
    def of(obj: Any, el: Any) -> _Level:
        def first(objs: Any, name: str) -> tuple[Any, Any] | None:
            els = children(el, name)
            return (objs[0], els[0]) if objs and els else None

        return _Level(
            first(obj.segment_templates, "SegmentTemplate"),
            first(obj.segment_lists, "SegmentList"),
            first(obj.segment_bases, "SegmentBase"),
        )


def _merged(pairs: list[tuple[Any, Any]], name: str) -> Any:
    """The value of ``name`` at the deepest level that sets it (pairs are deepest first)."""
    for obj, _el in pairs:
        value = getattr(obj, name, None)
        if value is not None and value != []:
            return value
    return None


def _merged_element(pairs: list[tuple[Any, Any]], child: str) -> Any:
    for _obj, el in pairs:
        found = children(el, child)
        if found:
            return found[0]
    return None


def parse_dash(data: bytes, url: str) -> Presentation:
    """Parse an MPD (bytes) fetched from ``url`` into a :class:`Presentation`."""
    # A big MPD is a DOM of many small objects: pausing the cyclic GC while it is built
    # and unlinking it afterwards (so refcounting frees it) roughly halves the time.
    paused = gc.isenabled()
    gc.disable()
    xml = None
    try:
        xml = parse_xml(data, "MPD")
        return _parse_dom(xml, url)
    finally:
        if xml is not None:
            xml.document.unlink()
        if paused:
            gc.enable()


def _parse_dom(xml: ParsedXml, url: str) -> Presentation:
    root = xml.root
    if root.localName != "MPD":
        raise PlayerError(
            Code.DASH_INVALID, f"root element is <{root.localName}>, not <MPD>", data={"line": 1}
        )
    stash = prepare(xml)
    mpd = run_mpegdash(xml)
    mpd_type = (attr(root, "type") or "static").strip()
    if mpd_type not in ("static", "dynamic"):
        raise PlayerError(
            Code.INVALID_ATTRIBUTE, f"MPD@type={mpd_type[:20]!r} is not static|dynamic"
        )
    ctx = _Ctx(xml, stash, url, mpd_type == "dynamic", None, None)
    ctx.ast = ctx.datetime_attr(root, "availabilityStartTime")
    ctx.tsbd = ctx.duration_attr(root, "timeShiftBufferDepth")
    mpd_duration = ctx.duration_attr(root, "mediaPresentationDuration")
    min_buffer = ctx.duration_attr(root, "minBufferTime")
    mup = ctx.duration_attr(root, "minimumUpdatePeriod")
    spd = ctx.duration_attr(root, "suggestedPresentationDelay")
    max_seg = ctx.duration_attr(root, "maxSegmentDuration")
    publish = ctx.datetime_attr(root, "publishTime")

    locations = tuple(
        resolve_url(url, text_of(el).strip(), "MPD/Location")
        for el in children(root, "Location")
        if text_of(el).strip()
    )
    bases = combine_base_urls((BaseUrlInfo(url),), _base_urls(ctx, root), "MPD/BaseURL")

    period_els = children(root, "Period")
    if not period_els or not mpd.periods:
        raise PlayerError(Code.NO_PERIODS, "the MPD has no Period")
    starts, durations = _period_timing(ctx, period_els, mpd_duration)
    periods: list[Period] = []
    for i, (p_obj, p_el) in enumerate(zip(mpd.periods, period_els, strict=True)):
        periods.append(_period(ctx, p_obj, p_el, i, starts[i], durations[i], bases))

    duration = mpd_duration
    if duration is None and not ctx.dynamic and durations[-1] is not None:
        duration = starts[-1] + durations[-1]
    live = None
    if ctx.dynamic or mup is not None:
        live = LiveInfo(
            availability_start_time=_f(ctx.ast),
            time_shift_buffer_depth=_f(ctx.tsbd),
            minimum_update_period=_f(mup),
            suggested_presentation_delay=_f(spd),
            availability_time_offset=_presentation_ato(periods),
            publish_time=_f(publish),
        )
    extra: dict[str, Any] = {"profiles": attr(root, "profiles"), "type": mpd_type}
    if max_seg is not None:
        extra["max_segment_duration"] = float(max_seg)
    timings = [
        (t.scheme_id_uri, t.value) for t in (mpd.utc_timings or []) if t.scheme_id_uri is not None
    ]
    if timings:
        extra["utc_timing"] = timings
    service = _service_description(root)
    if service:
        extra["service_description"] = service
    info = _program_information(root)
    if info:
        extra["program_information"] = info
    return Presentation(
        format="dash",
        url=url,
        periods=periods,
        is_live=ctx.dynamic,
        duration=_f(duration),
        min_buffer_time=_f(min_buffer),
        locations=locations,
        live=live,
        extra=extra,
    )


def _f(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _presentation_ato(periods: list[Period]) -> float:
    for p in periods:
        for t in p.tracks:
            for r in t.representations:
                ato = r.extra.get("availability_time_offset")
                if isinstance(ato, float):
                    return ato
    return 0.0


def _period_timing(
    ctx: _Ctx, period_els: list[Any], mpd_duration: Fraction | None
) -> tuple[list[Fraction], list[Fraction | None]]:
    """Period starts and durations as ISO/IEC 23009-1 5.3.2.1 infers them."""
    starts: list[Fraction] = []
    own: list[Fraction | None] = []
    for i, el in enumerate(period_els):
        start = ctx.duration_attr(el, "start")
        dur = ctx.duration_attr(el, "duration")
        own.append(dur)
        if start is None:
            if i == 0:
                start = Fraction(0)
            elif own[i - 1] is not None:
                start = starts[i - 1] + own[i - 1]  # type: ignore[operator]
            else:
                raise PlayerError(
                    Code.DASH_INVALID,
                    f"{ctx.where(el)}: no @start and the previous Period has no @duration",
                )
        if starts and start < starts[-1]:
            raise PlayerError(
                Code.DASH_INVALID, f"{ctx.where(el)}: Period starts before the previous one"
            )
        starts.append(start)
    durations: list[Fraction | None] = []
    for i in range(len(period_els)):
        if i + 1 < len(period_els):
            durations.append(starts[i + 1] - starts[i])
        elif own[i] is not None:
            durations.append(own[i])
        elif mpd_duration is not None:
            durations.append(max(Fraction(0), mpd_duration - starts[i]))
        else:
            durations.append(None)
    return starts, durations


def _base_urls(ctx: _Ctx, el: Any) -> list[BaseUrlInfo]:
    out: list[BaseUrlInfo] = []
    for b in children(el, "BaseURL"):
        text = text_of(b).strip()
        prio = attr_local(b, "priority")
        weight = attr_local(b, "weight")
        ato_text = attr(b, "availabilityTimeOffset")
        atc = attr(b, "availabilityTimeComplete")
        ato = float(ato_text) if ato_text else None
        out.append(
            BaseUrlInfo(
                url=text,
                service_location=attr(b, "serviceLocation"),
                priority=_int_or_none(prio),
                weight=_int_or_none(weight),
                availability_time_offset=ato,
                availability_time_complete=None if atc is None else atc == "true",
                own_availability_time_offset=ato,
            )
        )
    return out


def _int_or_none(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit() or len(text) > 18:
        return None
    return int(text)


def _period(
    ctx: _Ctx,
    p_obj: Any,
    p_el: Any,
    index: int,
    start: Fraction,
    duration: Fraction | None,
    parent_bases: tuple[BaseUrlInfo, ...],
) -> Period:
    where = ctx.where(p_el)
    bases = combine_base_urls(parent_bases, _base_urls(ctx, p_el), where)
    p_level = _Level.of(p_obj, p_el)
    tracks: list[Track] = []
    as_els = children(p_el, "AdaptationSet")
    for j, (a_obj, a_el) in enumerate(zip(p_obj.adaptation_sets or [], as_els, strict=True)):
        track = _adaptation_set(ctx, a_obj, a_el, j, start, duration, bases, p_level)
        if track.representations:
            tracks.append(track)
    events = _events(ctx, p_el, start)
    pid = attr(p_el, "id")
    period = Period(pid, float(start), _f(duration), tracks, events)
    return period


def _events(ctx: _Ctx, p_el: Any, period_start: Fraction) -> list[Event]:
    out: list[Event] = []
    for es in children(p_el, "EventStream"):
        scheme = attr(es, "schemeIdUri") or ""
        value = attr(es, "value")
        ts = int(attr(es, "timescale") or 1)
        if ts == 0:
            raise PlayerError(Code.INVALID_ATTRIBUTE, f"{ctx.where(es)}: @timescale is 0")
        pto_text = attr(es, "presentationTimeOffset")
        pto = int(pto_text) if pto_text and pto_text.strip().isdigit() and len(pto_text) < 30 else 0
        for ev in children(es, "Event"):
            pt = int(attr(ev, "presentationTime") or 0)
            dur_text = attr(ev, "duration")
            message = attr(ev, "messageData")
            if message is None:
                body = inner_xml(ev)
                message = body if body.strip() else None
            out.append(
                Event(
                    scheme_id_uri=scheme,
                    value=value,
                    id=ctx.stash.get(ev, "id"),
                    start=float(period_start + Fraction(pt - pto, ts)),
                    duration=None if dur_text is None else float(Fraction(int(dur_text), ts)),
                    message=message,
                )
            )
    return out


def _descriptors(el: Any, name: str) -> list[tuple[str, str | None]]:
    return [(attr(d, "schemeIdUri") or "", attr(d, "value")) for d in children(el, name)]


def _labels(el: Any) -> list[str]:
    return [text_of(lab).strip() for lab in children(el, "Label") if text_of(lab).strip()]


def _captions(accessibility: list[tuple[str, str | None]]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for scheme, value in accessibility:
        if not value:
            continue
        if "cea-608" in scheme:
            for item in value.split(";"):
                channel, _, lang = item.partition("=")
                if channel.strip():
                    out.append({"channel": channel.strip(), "language": lang.strip()})
        elif "cea-708" in scheme:
            for item in value.split(";"):
                service, _, rest = item.partition("=")
                lang = ""
                for kv in rest.split(","):
                    k, _, v = kv.partition(":")
                    if k.strip() == "lang":
                        lang = v.strip()
                if service.strip():
                    out.append({"channel": f"SERVICE{service.strip()}", "language": lang})
    return out


def _adaptation_set(
    ctx: _Ctx,
    a_obj: Any,
    a_el: Any,
    index: int,
    period_start: Fraction,
    period_duration: Fraction | None,
    parent_bases: tuple[BaseUrlInfo, ...],
    p_level: _Level,
) -> Track:
    where = ctx.where(a_el)
    bases = combine_base_urls(parent_bases, _base_urls(ctx, a_el), where)
    a_level = _Level.of(a_obj, a_el)
    roles = tuple(v for _s, v in _descriptors(a_el, "Role") if v)
    accessibility = _descriptors(a_el, "Accessibility")
    essential = _descriptors(a_el, "EssentialProperty")
    supplemental = _descriptors(a_el, "SupplementalProperty")
    protection = _protections(ctx, a_el)
    reps: list[Representation] = []
    rep_els = children(a_el, "Representation")
    track_protection = list(protection)
    for k, (r_obj, r_el) in enumerate(zip(a_obj.representations or [], rep_els, strict=True)):
        rep, rep_protection = _representation(
            ctx, a_obj, a_el, r_obj, r_el, k, index, period_start, period_duration,
            bases, [p_level, a_level], protection,
        )  # fmt: skip
        reps.append(rep)
        for cp in rep_protection:
            if cp not in track_protection:
                track_protection.append(cp)
    codecs = a_obj.codecs
    if codecs is None and reps and all(r.codecs == reps[0].codecs for r in reps):
        codecs = reps[0].codecs
    mime = a_obj.mime_type
    if mime is None and reps and all(r.mime_type == reps[0].mime_type for r in reps):
        mime = reps[0].mime_type
    kind = kind_from(a_obj.content_type, mime, codecs or (reps[0].codecs if reps else None), roles)
    labels = _labels(a_el)
    lang = a_obj.lang
    if lang is None and reps:
        lang = attr(rep_els[0], "lang")
    extra: dict[str, Any] = {}
    if essential:
        extra["essential_properties"] = essential
    if supplemental:
        extra["supplemental_properties"] = supplemental
    trick = [v for s, v in essential + supplemental if s == _TRICKMODE]
    if trick:
        extra["trick_mode_for"] = trick[0]
    switching = [v for s, v in supplemental if s == _SWITCHING and v]
    if switching:
        extra["switchable_with"] = [x.strip() for x in switching[0].split(",") if x.strip()]
    captions = _captions(accessibility)
    if captions:
        extra["captions"] = captions
    inband = _descriptors(a_el, "InbandEventStream")
    for r_el in rep_els:
        inband += [d for d in _descriptors(r_el, "InbandEventStream") if d not in inband]
    if inband:
        extra["inband_event_streams"] = inband
    if a_obj.segment_alignment is not None:
        extra["segment_alignment"] = bool(a_obj.segment_alignment)
    if a_obj.subsegment_alignment is not None:
        extra["subsegment_alignment"] = bool(a_obj.subsegment_alignment)
    if a_obj.bitstream_switching is not None:
        extra["bitstream_switching"] = bool(a_obj.bitstream_switching)
    if len(labels) > 1:
        extra["labels"] = labels
    return Track(
        id=ctx.stash.get(a_el, "id") or str(index),
        kind=kind,
        representations=reps,
        language=lang,
        codecs=codecs,
        mime_type=mime,
        # A Label element (DASH 4th ed.) wins over the older @label attribute.
        label=labels[0] if labels else a_obj.label,
        roles=roles,
        accessibility=tuple(v for _s, v in accessibility if v),
        protection=tuple(track_protection),
        group_id=ctx.stash.get(a_el, "group"),
        is_iframe_only=bool(trick),
        extra=extra,
    )


def _protections(ctx: _Ctx, el: Any, inherited_kid: str | None = None) -> list[ContentProtection]:
    raw = children(el, "ContentProtection")
    out: list[ContentProtection] = []
    default_kid: str | None = None
    for cp in raw:
        kid_text = attr_local(cp, "default_KID")
        kid = normalize_kid(kid_text) if kid_text else None
        default_kid = default_kid or kid
    default_kid = default_kid or inherited_kid  # a Representation's from its AdaptationSet
    for cp in raw:
        scheme = (attr(cp, "schemeIdUri") or "").strip()
        system, system_id = system_of(scheme)
        kid_text = attr_local(cp, "default_KID")
        kid = normalize_kid(kid_text) if kid_text else None
        pssh: bytes | None = None
        license_url: str | None = None
        extra: list[tuple[str, str]] = []
        if kid_text and kid is None:
            # Kept, not fatal: test MPDs (videojs) write placeholder KIDs like "aaa".
            extra.append(("invalid_default_kid", kid_text[:64]))
        for child in children(cp):
            local = (child.localName or "").lower()
            if local == "pssh":
                pssh = _b64(ctx, child, "pssh")
            elif local == "laurl":
                found = (attr(child, "licenseUrl") or text_of(child)).strip()
                if found and license_url is None:
                    license_url = resolve_url(ctx.url, found, ctx.where(child))
            elif local == "pro":
                extra.append(("pro", "".join(text_of(child).split())))
        out.append(
            ContentProtection(
                scheme_id_uri=scheme,
                system=system,
                system_id=system_id,
                value=attr(cp, "value"),
                # Systems' elements inherit the mp4protection element's default KID.
                default_kid=kid or default_kid,
                pssh=pssh,
                license_url=license_url,
                extra=tuple(extra),
            )
        )
    return out


def _b64(ctx: _Ctx, el: Any, what: str) -> bytes:
    text = "".join(text_of(el).split())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PlayerError(
            Code.INVALID_ATTRIBUTE, f"{ctx.where(el)}: {what} is not valid base64"
        ) from None


def _representation(
    ctx: _Ctx,
    a_obj: Any,
    a_el: Any,
    r_obj: Any,
    r_el: Any,
    index: int,
    as_index: int,
    period_start: Fraction,
    period_duration: Fraction | None,
    parent_bases: tuple[BaseUrlInfo, ...],
    levels: list[_Level],
    as_protection: list[ContentProtection],
) -> tuple[Representation, list[ContentProtection]]:
    where = ctx.where(r_el)
    bases = combine_base_urls(parent_bases, _base_urls(ctx, r_el), where)
    rep_id = r_obj.id if r_obj.id is not None else f"{as_index}-{index}"
    bandwidth = r_obj.bandwidth if r_obj.bandwidth is not None else 0
    codecs = r_obj.codecs if r_obj.codecs is not None else a_obj.codecs
    mime = r_obj.mime_type if r_obj.mime_type is not None else a_obj.mime_type
    width = r_obj.width if r_obj.width is not None else a_obj.width
    height = r_obj.height if r_obj.height is not None else a_obj.height
    frame_rate = _frame_rate(r_obj.frame_rate if r_obj.frame_rate is not None else a_obj.frame_rate)
    sampling = r_obj.audio_sampling_rate or a_obj.audio_sampling_rate
    channels = _channels(r_el) or _channels(a_el)
    as_kid = next((cp.default_kid for cp in as_protection if cp.default_kid), None)
    rep_protection = _protections(ctx, r_el, as_kid)
    # A representation's own signalling wins over its adaptation set's for one system.
    own_schemes = {cp.scheme_id_uri.lower() for cp in rep_protection}
    merged = [cp for cp in as_protection if cp.scheme_id_uri.lower() not in own_schemes]
    merged += rep_protection
    extra: dict[str, Any] = {}
    if rep_protection:
        extra["protection"] = tuple(merged)
    if r_obj.quality_ranking is not None:
        extra["quality_ranking"] = r_obj.quality_ranking
    if r_obj.dependency_id:
        extra["dependency_id"] = list(r_obj.dependency_id)
    essential = _descriptors(r_el, "EssentialProperty")
    supplemental = _descriptors(r_el, "SupplementalProperty")
    if essential:
        extra["essential_properties"] = essential
    if supplemental:
        extra["supplemental_properties"] = supplemental
    for scheme, value in essential + supplemental + _descriptors(a_el, "EssentialProperty"):
        if scheme in _THUMBNAIL_SCHEMES and value and "tiles" not in extra:
            m = _TILES.match(value)
            if m:
                extra["tiles"] = (int(m.group(1)), int(m.group(2)))
    supplemental_codecs = attr_local(r_el, "supplementalCodecs") or attr_local(
        a_el, "supplementalCodecs"
    )
    if supplemental_codecs:
        extra["supplemental_codecs"] = supplemental_codecs
    labels = _labels(r_el)
    r_level = _Level.of(r_obj, r_el)
    standalone_text = (mime or "").lower() in ("application/ttml+xml", "text/vtt", "text/webvtt")
    index_obj, ato = _build_index(
        ctx,
        [*levels, r_level],
        rep_id=rep_id,
        bandwidth=bandwidth,
        bases=bases,
        period_start=period_start,
        period_duration=period_duration,
        ignore_pto=standalone_text,
        where=where,
    )
    if ato is not None:
        extra["availability_time_offset"] = ato
    rep = Representation(
        id=rep_id,
        bandwidth=bandwidth,
        codecs=codecs,
        mime_type=mime,
        width=width,
        height=height,
        frame_rate=frame_rate,
        audio_sampling_rate=_first_int(sampling),
        channels=channels,
        base_urls=tuple(b.url for b in bases),
        index=index_obj,
        extra=extra,
        base_url_info=bases,
        label=labels[0] if labels else None,
    )
    return rep, rep_protection


def _frame_rate(text: str | None) -> float | None:
    if not text:
        return None
    num, _, den = text.partition("/")
    n = parse_decimal(num)
    d = parse_decimal(den) if den else Fraction(1)
    if n is None or d is None or d == 0:
        return None
    return float(n / d)


def _first_int(text: str | None) -> int | None:
    if not text:
        return None
    first = text.split()[0] if text.split() else ""
    return int(first) if first.isdigit() and len(first) < 12 else None


def _channels(el: Any) -> int | None:
    for scheme, value in _descriptors(el, "AudioChannelConfiguration"):
        if value and value.strip().isdigit() and len(value) < 6:
            return int(value)
        del scheme
    return None


def _timeline_entries(ctx: _Ctx, timeline_el: Any) -> list[TimelineEntry]:
    out: list[TimelineEntry] = []
    for s in children(timeline_el, "S"):
        d = attr(s, "d")
        if d is None:
            raise PlayerError(
                Code.MISSING_ATTRIBUTE,
                f"{ctx.where(s)}: S without @d",
                data={"line": ctx.xml.line(s)},
            )
        t = attr(s, "t")
        r = attr(s, "r")
        n = attr(s, "n")
        k = attr(s, "k")
        for name, value in (("n", n), ("k", k)):
            if value is not None and not (value.strip().isdigit() and len(value) < 30):
                raise PlayerError(
                    Code.INVALID_ATTRIBUTE,
                    f"{ctx.where(s)}: @{name}={value[:40]!r} is not a non-negative integer",
                )
        out.append(
            TimelineEntry(
                t=int(t) if t is not None else None,
                d=int(d),
                r=int(r) if r is not None else 0,
                n=int(n) if n is not None else None,
                k=int(k) if k is not None else None,
            )
        )
    return out


def _init_segment(
    ctx: _Ctx, pairs: list[tuple[Any, Any]], bases: tuple[str, ...], where: str
) -> InitSegment | None:
    init_el = _merged_element(pairs, "Initialization")
    if init_el is None:
        return None
    source = attr(init_el, "sourceURL")
    urls = bases if source is None else tuple(resolve_url(b, source, where) for b in bases)
    return InitSegment(urls, _byte_range(attr(init_el, "range"), where))


def _build_index(
    ctx: _Ctx,
    levels: list[_Level],
    *,
    rep_id: str,
    bandwidth: int,
    bases: tuple[BaseUrlInfo, ...],
    period_start: Fraction,
    period_duration: Fraction | None,
    ignore_pto: bool,
    where: str,
) -> tuple[SegmentIndex | IndexRequest | None, float | None]:
    """The representation's index and its effective availabilityTimeOffset."""
    kind = None
    for level in reversed(levels):
        if level.template or level.slist or level.sbase:
            kind = "template" if level.template else ("list" if level.slist else "base")
            break
    base_urls = tuple(b.url for b in bases)
    base_ato = bases[0].availability_time_offset if bases else None
    if kind is None:
        # BaseURL alone: the whole resource is one segment (e.g. a sidecar WebVTT file).
        seg = Segment(1, float(period_start), _f(period_duration) or 0.0, base_urls)
        return ExplicitIndex([seg]), base_ato
    attr_name = {"template": "template", "list": "slist", "base": "sbase"}[kind]
    pairs: list[tuple[Any, Any]] = [
        getattr(lv, attr_name) for lv in reversed(levels) if getattr(lv, attr_name)
    ]
    timescale = _merged(pairs, "timescale")
    timescale = 1 if timescale is None else int(timescale)
    if timescale <= 0:
        raise PlayerError(Code.INVALID_ATTRIBUTE, f"{where}: @timescale must be positive")
    pto = int(_merged(pairs, "presentation_time_offset") or 0)
    seg_ato = _merged(pairs, "availability_time_offset")
    # The segment information's offset wins over the BaseURL's (as ExoPlayer reads it).
    ato = float(seg_ato) if seg_ato is not None else base_ato
    live = None
    if ctx.dynamic and ctx.ast is not None:
        live = LiveWindow(float(ctx.ast), _f(ctx.tsbd), ato or 0.0)
    if ignore_pto:
        pto_for_time = pto
        pto = 0
    else:
        pto_for_time = pto
    del pto_for_time

    init: InitSegment | None
    if kind == "base":
        index_range = _byte_range(_merged(pairs, "index_range"), where)
        init = _init_segment(ctx, pairs, base_urls, where)
        if index_range is None:
            seg = Segment(1, float(period_start), _f(period_duration) or 0.0, base_urls, init=init)
            return ExplicitIndex([seg], init), ato
        rep_index_el = _merged_element(pairs, "RepresentationIndex")
        index_urls = base_urls
        if rep_index_el is not None and attr(rep_index_el, "sourceURL"):
            src = attr(rep_index_el, "sourceURL") or ""
            index_urls = tuple(resolve_url(b, src, where) for b in base_urls)
        return (
            IndexRequest(
                kind="sidx",
                urls=index_urls,
                byte_range=index_range,
                resolve=_sidx_resolver(
                    index_range.start, base_urls, init, period_start, pto, timescale
                ),
                init=init,
            ),
            ato,
        )

    start_number = _merged(pairs, "start_number")
    start_number = 1 if start_number is None else int(start_number)
    end_number = _merged(pairs, "end_number")
    duration = _merged(pairs, "duration")
    period_end_units: Fraction | None = None
    if period_duration is not None:
        period_end_units = pto + period_duration * timescale
    timeline_el = _merged_element(pairs, "SegmentTimeline")
    timing: Timing
    entries: list[ListEntry] | None = None
    if kind == "list":
        entries = []
        for el in [el for _o, el in pairs if children(el, "SegmentURL")][:1]:
            for su in children(el, "SegmentURL"):
                entries.append(
                    ListEntry(attr(su, "media"), _byte_range(attr(su, "mediaRange"), where))
                )
    if timeline_el is not None:
        timing = build_runs(
            _timeline_entries(ctx, timeline_el), start_number, period_end_units, 0, where
        )
    elif duration is not None:
        duration = int(duration)
        if duration <= 0:
            raise PlayerError(
                Code.INVALID_ATTRIBUTE, f"{where}: segment @duration must be positive"
            )
        total: int | None = None
        if period_duration is not None:
            total = math.ceil(period_duration * timescale / duration)
        if entries is not None:
            total = len(entries) if total is None else min(total, len(entries))
        timing = UniformTiming(duration, pto, start_number, total)
    else:
        # One segment covering the period (a template without $Number$/$Time$ or a
        # one-entry list).
        units = (period_duration or Fraction(0)) * timescale
        length = max(1, math.ceil(units))
        timing = UniformTiming(length, pto, start_number, 1)
    count = timing.count
    if end_number is not None:
        cap = int(end_number) - start_number + 1
        count = cap if count is None else min(count, cap)
        if count < 0:
            raise PlayerError(Code.INVALID_ATTRIBUTE, f"{where}: @endNumber before @startNumber")
        timing = _Capped(timing, count)
    if count is not None and count > MAX_SEGMENTS:
        raise PlayerError(Code.DASH_INVALID, f"{where}: more than 2^48 segments; refusing")

    if kind == "template":
        media = _merged(pairs, "media")
        if media is None:
            return None, ato
        template = compile_template(media, where)
        init_t = _merged(pairs, "initialization")
        if init_t is not None:
            # $Number$/$Time$ have no meaning here, but MPDs in the wild use them: they
            # are filled with the first segment's values rather than refused.
            first_time = timing.span(0)[0] if timing.count != 0 else pto
            init_url = compile_template(init_t, where).expand(
                rep_id, bandwidth, number=start_number, time=math.floor(first_time)
            )
            init = InitSegment(tuple(resolve_url(b, init_url, where) for b in base_urls))
        else:
            init = _init_segment(ctx, pairs, base_urls, where)
        index = DashSegmentIndex(
            timing,
            timescale=timescale,
            presentation_time_offset=pto,
            period_start=float(period_start),
            period_end=_f(None if period_duration is None else period_start + period_duration),
            base_urls=base_urls,
            representation_id=rep_id,
            bandwidth=bandwidth,
            template=template,
            init=init,
            live=live,
            where=where,
        )
        # Expand the first URL now so a template that cannot be filled fails at parse time.
        if index.first_number is not None and timing.count != 0:
            index.by_number(index.first_number)
        return index, ato
    assert entries is not None
    init = _init_segment(ctx, pairs, base_urls, where)
    return (
        DashSegmentIndex(
            timing,
            timescale=timescale,
            presentation_time_offset=pto,
            period_start=float(period_start),
            period_end=_f(None if period_duration is None else period_start + period_duration),
            base_urls=base_urls,
            representation_id=rep_id,
            bandwidth=bandwidth,
            entries=entries,
            init=init,
            live=live,
            where=where,
        ),
        ato,
    )


@dataclass(frozen=True)
class _Capped:
    """A timing cut to ``limit`` segments (``@endNumber``)."""

    inner: Timing
    limit: int

    @property
    def count(self) -> int | None:
        return self.limit

    def span(self, i: int) -> tuple[Any, Any]:
        return self.inner.span(i)

    def number(self, i: int) -> int:
        return self.inner.number(i)

    def position_of(self, number: int) -> int | None:
        p = self.inner.position_of(number)
        return None if p is None or p >= self.limit else p

    def position_at(self, units: Any) -> int | None:
        p = self.inner.position_at(units)
        return None if p is None or p >= self.limit else p

    def positions_ending_between(self, lo: Any, hi: Any) -> tuple[int, int] | None:
        found = self.inner.positions_ending_between(lo, hi)
        if found is None or found[0] >= self.limit:
            return None
        return found[0], min(found[1], self.limit - 1)


def _sidx_resolver(
    data_offset: int,
    urls: tuple[str, ...],
    init: InitSegment | None,
    period_start: Fraction,
    pto: int,
    timescale: int,
) -> Callable[[bytes], SegmentIndex]:
    def resolve(data: bytes) -> SegmentIndex:
        sidx = parse_sidx(data, data_offset)
        segments = []
        pto_s = Fraction(pto, timescale)
        for n, ref in enumerate(sidx.references, start=1):
            start = period_start + Fraction(ref.start, sidx.timescale) - pto_s
            segments.append(
                Segment(
                    number=n,
                    start=float(start),
                    duration=float(Fraction(ref.duration, sidx.timescale)),
                    urls=urls,
                    byte_range=ByteRange(ref.offset, ref.offset + ref.size - 1),
                    init=init,
                )
            )
        return ExplicitIndex(segments, init)

    return resolve


def _service_description(root: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for sd in children(root, "ServiceDescription"):
        for lat in children(sd, "Latency"):
            for name in ("target", "min", "max", "referenceId"):
                value = attr(lat, name)
                if value is not None and value.strip().lstrip("-").isdigit():
                    out[f"latency_{name}_ms"] = int(value)
        for rate in children(sd, "PlaybackRate"):
            for name in ("min", "max"):
                value = attr(rate, name)
                parsed = parse_decimal(value) if value else None
                if parsed is not None:
                    out[f"playback_rate_{name}"] = float(parsed)
    return out


def _program_information(root: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pi in children(root, "ProgramInformation")[:1]:
        for name in ("Title", "Source", "Copyright"):
            found = children(pi, name)
            if found:
                out[name.lower()] = text_of(found[0]).strip()
        for name in ("lang", "moreInformationURL"):
            value = attr(pi, name)
            if value is not None:
                out[name] = value
    return out

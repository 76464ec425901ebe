"""Fuzz targets shared by the short hypothesis run (``tests/fuzz``) and the long run
(``bench/fuzz_long.py``): each parser that reads untrusted bytes, the real inputs its
mutations start from, and the one exception type it may raise.

A target is a function of ``bytes``. It parses, then walks what it got (segment indexes
are iterated a bounded number of steps, since lazy indexes fail late), so a bug that
surfaces only on use is found too. Anything other than the allowed type escaping is a
finding: the parsers promise typed errors for every input.

Seeds are real inputs: the manifests of ``tests/fixtures/manifests`` (attributed there),
the curated traces of ``traces/data`` (attributed there), PSSH boxes taken from those
manifests' ``cenc:pssh`` elements, and ``sidx``/init-segment boxes built with the
packager's own writers.
"""

from __future__ import annotations

import base64
import itertools
import math
import os
import random
import re
import struct
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import drm
import traces
from drm import DrmError
from player.errors import PlayerError
from player.manifest import Presentation, Segment, SegmentIndex, parse_manifest, parse_sidx
from traces import Trace

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "tests" / "fixtures" / "manifests"
TRACES = ROOT / "traces" / "data"
_MAX_SEGMENTS = 64  # steps of each index walked per input: bounded work per input
_MAX_SEED_BYTES = 64 * 1024  # bigger corpus files are cut (mutations stay cheap)


@dataclass(frozen=True)
class Target:
    """One parser under fuzz: ``run(data)`` may raise only ``allowed``."""

    name: str
    run: Callable[[bytes], object]
    allowed: tuple[type[Exception], ...]
    seeds: Callable[[], list[bytes]]
    tokens: tuple[bytes, ...] = field(default=())  # dictionary for the mutator
    text: bool = True  # a text format (value/line edits) rather than binary boxes


# -- the walks ----------------------------------------------------------------------------


def _walk_index(index: SegmentIndex) -> None:
    _ = index.init
    if index.last_number is None:  # live: unbounded, walked through its window
        window = index.available(1.7e9)
        numbers: Iterator[int] = iter(range(window[0], window[1] + 1)) if window else iter(())
        segments: Iterator[Segment | None] = (index.by_number(n) for n in numbers)
    else:
        segments = iter(index)
    for seg in itertools.islice(segments, _MAX_SEGMENTS):
        if seg is not None:
            _ = (seg.url, seg.start, seg.duration, seg.byte_range)
    _ = index.at_time(0.0)
    _ = index.by_number(index.first_number)


def _walk(pres: Presentation) -> None:
    _ = (pres.duration, pres.is_live)
    for track in pres.all_tracks():
        for rep in track.representations:
            _ = (rep.id, rep.bandwidth, rep.codecs, rep.width, rep.height)
            if isinstance(rep.index, SegmentIndex):
                _walk_index(rep.index)


def _manifest(url: str) -> Callable[[bytes], object]:
    def run(data: bytes) -> object:
        pres = parse_manifest(data, url)
        _walk(pres)
        return pres

    return run


def _sidx(data: bytes) -> object:
    sidx = parse_sidx(data, 1000)
    _ = [(r.offset, r.size, r.start, r.duration) for r in sidx.references]
    return sidx


def _pssh(data: bytes) -> object:
    # Every parser on its own (all must be typed); the input counts as refused when
    # each of them refused it.
    out: list[object] = []
    refused: DrmError | None = None
    for parse in (drm.parse_pssh, drm.parse_pssh_list, drm.find_pssh_boxes):
        try:
            out.append(parse(data))
        except DrmError as err:
            refused = err
    try:
        out.append(drm.parse_pssh(data.decode("latin-1")))  # the MPD's base64 form
    except DrmError as err:
        refused = err
    if not out and refused is not None:
        raise refused
    return out


def _init_segment(data: bytes) -> object:
    return drm.read_protection_info(data)


class _TraceFile:
    """One temporary file rewritten per input (trace loaders read paths, not bytes)."""

    def __init__(self, suffix: str) -> None:
        # In memory where the system offers it: rewriting a file on a disk-backed
        # filesystem costs more than the parse being fuzzed.
        shm = Path("/dev/shm")
        where = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
        self._dir = tempfile.TemporaryDirectory(prefix="abrkit-fuzz-", dir=where)
        self.path = Path(self._dir.name) / f"trace{suffix}"

    def write(self, data: bytes) -> Path:
        self.path.write_bytes(data)
        return self.path


@cache
def _trace_file(suffix: str) -> _TraceFile:
    return _TraceFile(suffix)


def _use_trace(trace: Trace) -> Trace:
    # What the link model and the origin ask of a loaded trace; a loaded trace must be
    # usable (finite), or the loader should have refused it.
    _ = (trace.rate_at(1.5), trace.latency_at(0.0))
    if not math.isfinite(trace.total_bits):
        raise AssertionError(f"loaded a trace delivering {trace.total_bits} bits")
    _ = trace.time_to_deliver(100_000, 0.5) if trace.mean_bps > 0 else None
    return trace


def _two_column(data: bytes) -> object:
    path = _trace_file(".txt").write(data)
    return _use_trace(traces.load_trace(path, format="two-column", unit="Mbit/s"))


def _sabre(data: bytes) -> object:
    path = _trace_file(".json").write(data)
    return _use_trace(traces.load_trace(path, format="sabre-json"))


def _sniffed(data: bytes) -> object:
    path = _trace_file(".trace").write(data)
    return _use_trace(traces.load_trace(path, unit="kbit/s"))  # format from the content


# -- the seeds ----------------------------------------------------------------------------


def _corpus(suffixes: tuple[str, ...], kinds: tuple[str, ...]) -> list[bytes]:
    import csv

    out: list[bytes] = []
    with open(MANIFESTS / "index.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["kind"].split("-")[0] in kinds or row["file"].endswith(suffixes):
                out.append((MANIFESTS / row["file"]).read_bytes()[:_MAX_SEED_BYTES])
    return out


@cache
def dash_seeds() -> list[bytes]:
    """Every DASH manifest of the real-manifest corpus."""
    return _corpus((".mpd",), ("dash",))


@cache
def hls_seeds() -> list[bytes]:
    """Every HLS playlist (master and media) of the real-manifest corpus."""
    return _corpus((".m3u8",), ("hls",))


@cache
def pssh_seeds() -> list[bytes]:
    """Real PSSH boxes from the corpus's ``cenc:pssh`` elements, and built ones."""
    out: list[bytes] = []
    pattern = re.compile(rb"<(?:cenc:)?pssh[^>]*>\s*([A-Za-z0-9+/=\s]+?)\s*</(?:cenc:)?pssh>")
    for path in sorted(MANIFESTS.rglob("*")):
        if path.is_file() and path.suffix in (".mpd", ".xml", ""):
            for m in pattern.finditer(path.read_bytes()):
                try:
                    out.append(base64.b64decode(b"".join(m.group(1).split())))
                except ValueError:
                    continue
    kid = bytes(range(16))
    out.append(drm.build_pssh(drm.COMMON.system_id, [kid], version=1))
    out.append(drm.build_pssh(drm.WIDEVINE.system_id, [], data=b"\x12\x10" + kid, version=0))
    out.append(b"".join(out[-2:]))  # EME cenc init data: concatenated boxes
    return sorted(set(out))


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


@cache
def sidx_seeds() -> list[bytes]:
    """``sidx`` boxes in both versions, with a hierarchical (two-level) index."""
    from player.packager._boxes import build_sidx

    refs = [(1000 + 37 * i, 90000 * 2) for i in range(6)]
    v1 = build_sidx(1, 90000, 0, refs)
    leaf = build_sidx(1, 90000, 0, refs[:2])
    v0_body = struct.pack(">IIIIHH", 1, 48000, 960, 0, 0, 2)
    v0_body += struct.pack(">III", len(leaf), 180000, 1 << 31)  # a reference to a sidx
    v0_body += struct.pack(">III", 5000, 96000, (1 << 31) | (1 << 28))
    v0 = _full(b"sidx", 0, 0, v0_body) + leaf
    styp = _box(b"styp", b"msdh\x00\x00\x00\x00msdhmsix")
    return [v1, styp + v1, v0]


@cache
def init_seeds() -> list[bytes]:
    """Init segments: a CENC-protected video one (``sinf``/``schm``/``tenc``, ``pssh``)
    built box by box as a packager writes them, and its clear twin."""
    kid = bytes.fromhex("0123456789abcdef0123456789abcdef")
    tenc = _full(b"tenc", 0, 0, b"\x00\x00\x01\x08" + kid)
    sinf = _box(
        b"sinf",
        _box(b"frma", b"avc1")
        + _full(b"schm", 0, 0, b"cenc" + struct.pack(">I", 0x10000))
        + _box(b"schi", tenc),
    )
    avcc = _box(b"avcC", b"\x01\x64\x00\x1f\xff\xe0\x00")
    visual = bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HH", 320, 180)
    visual += struct.pack(">IIIH", 0x00480000, 0x00480000, 0, 1) + bytes(32)
    visual += struct.pack(">Hh", 0x18, -1)

    def init(entry: bytes) -> bytes:
        stsd = _full(b"stsd", 0, 0, struct.pack(">I", 1) + entry)
        stbl = _box(b"stbl", stsd)
        minf = _box(b"minf", stbl)
        hdlr = _full(b"hdlr", 0, 0, bytes(4) + b"vide" + bytes(12) + b"video\x00")
        tkhd = _full(b"tkhd", 0, 3, bytes(8) + struct.pack(">I", 1) + bytes(68))
        trak = _box(b"trak", tkhd + _box(b"mdia", hdlr + minf))
        pssh = drm.build_pssh(drm.COMMON.system_id, [kid], version=1)
        ftyp = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso6dash")
        return ftyp + _box(b"moov", trak + pssh)

    return [init(_box(b"encv", visual + avcc + sinf)), init(_box(b"avc1", visual + avcc))]


def _trace_seeds(json_ok: bool) -> list[bytes]:
    out: list[bytes] = []
    for name in traces.dataset_names():
        for path in traces.trace_files(name)[:3]:
            lines = path.read_bytes().splitlines(keepends=True)[:40]
            out.append(b"".join(lines))
    if json_ok:
        out.append(
            b'[{"duration_ms": 1000, "bandwidth_kbps": 3000, "latency_ms": 20},'
            b' {"duration_ms": 500, "bandwidth_kbps": 800.5, "latency_ms": 75}]'
        )
    return out


@cache
def two_column_seeds() -> list[bytes]:
    """The first lines of real traces from each curated dataset."""
    return _trace_seeds(json_ok=False)


@cache
def sabre_seeds() -> list[bytes]:
    """Sabre JSON traces (periods of duration, bandwidth and latency)."""
    return [s for s in _trace_seeds(json_ok=True) if s.lstrip().startswith(b"[")]


_XML_TOKENS = (
    b"<",
    b">",
    b"/>",
    b'"',
    b"&amp;",
    b"&#0;",
    b"<!DOCTYPE x [<!ENTITY e 'a'>]>",
    b"$Number$",
    b"$Time%09d$",
    b"$Bandwidth$",
    b'<S t="0" d="0" r="-1"/>',
    b'<S d="1" r="2147483647"/>',
    b'duration="0"',
    b'timescale="0"',
    b'startNumber="-5"',
    b"PT-1S",
    b"P99999999Y",
    b"<BaseURL>../../</BaseURL>",
    b'mediaRange="9-1"',
    b'type="dynamic"',
    b'xmlns:x="y"',
)
_NUMBER_TOKENS = (
    b"1",
    b"2.5",
    b"250",
    b"90000",
    b"0",
    b"-1",
    b"1e308",
    b"-1e308",
    b"nan",
    b"inf",
    b"4294967296",
    b"18446744073709551616",
    b"0.000001",
    b"99999999999999999999999999",
)
_HLS_TOKENS = (
    b"#EXTM3U\n",
    b"#EXTINF:-1,\n",
    b"#EXTINF:nan,\n",
    b"#EXT-X-TARGETDURATION:0\n",
    b"#EXT-X-BYTERANGE:100@99999999999\n",
    b'#EXT-X-MAP:URI="init.mp4",BYTERANGE="5@-1"\n',
    b"#EXT-X-MEDIA-SEQUENCE:-3\n",
    b"#EXT-X-DISCONTINUITY\n",
    b"#EXT-X-ENDLIST\n",
    b"#EXT-X-STREAM-INF:BANDWIDTH=0\n",
    b'#EXT-X-KEY:METHOD=SAMPLE-AES,URI="data:,x"\n',
    b'#EXT-X-PART:DURATION=0,URI="p"\n',
    b"#EXT-X-SKIP:SKIPPED-SEGMENTS=99999\n",
    b"\r\n",
)
_BOX_TOKENS = (
    b"\x00\x00\x00\x00",
    b"\x00\x00\x00\x01",
    b"\xff\xff\xff\xff",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"sidx",
    b"pssh",
    b"moov",
    b"trak",
    b"uuid",
    b"tenc",
    b"sinf",
)
_JSON_TOKENS = (b"{", b"}", b"[", b"]", b"null", b'"x"', b"true", b",", b":", b"[]", b"{}")

URL_DASH = "https://cdn.example.com/title/manifest.mpd"
URL_HLS = "https://cdn.example.com/title/master.m3u8"

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target(
            "dash", _manifest(URL_DASH), (PlayerError,), dash_seeds, _XML_TOKENS + _NUMBER_TOKENS
        ),
        Target("hls", _manifest(URL_HLS), (PlayerError,), hls_seeds, _HLS_TOKENS + _NUMBER_TOKENS),
        Target("sidx", _sidx, (PlayerError,), sidx_seeds, _BOX_TOKENS, text=False),
        Target("pssh", _pssh, (DrmError,), pssh_seeds, _BOX_TOKENS, text=False),
        Target("init-segment", _init_segment, (DrmError,), init_seeds, _BOX_TOKENS, text=False),
        Target("trace-two-column", _two_column, (PlayerError,), two_column_seeds, _NUMBER_TOKENS),
        Target(
            "trace-sabre-json", _sabre, (PlayerError,), sabre_seeds, _JSON_TOKENS + _NUMBER_TOKENS
        ),
        Target(
            "trace-sniffed",
            _sniffed,
            (PlayerError,),
            lambda: two_column_seeds() + sabre_seeds(),
            _JSON_TOKENS + _NUMBER_TOKENS,
        ),
    )
}


# -- the mutator ----------------------------------------------------------------------------

# One edit: (operation, position, length, payload). Positions and lengths are taken modulo
# the data's size, so any drawn edit applies to any input (hypothesis can shrink them).
Edit = tuple[int, int, int, bytes]
N_OPS = 12
_BYTE_OPS = (0, 1, 2, 3, 4, 5, 6)
# Mostly value-, line- and element-level: the text stays well-formed enough to reach the
# code behind the tokenizer.
_TEXT_OPS = (7, 7, 7, 7, 7, 7, 11, 11, 8, 9, 10, 5, 0)
_VALUE = re.compile(rb'"[^"<>\n]*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?')
_ELEMENT = re.compile(rb"<[A-Za-z][^<>]*/>")


def _lines(buf: bytearray) -> list[bytes]:
    return bytes(buf).splitlines(keepends=True)


def apply_edits(data: bytes, edits: Sequence[Edit], tokens: Sequence[bytes], other: bytes) -> bytes:
    """Apply ``edits`` to ``data`` and return the result. Operations: 0 flip a bit, 1 set
    a byte, 2 insert bytes, 3 delete a span, 4 duplicate a span, 5 insert a dictionary
    token, 6 splice in part of ``other`` (another seed), 7 replace a value (a number or
    a quoted string) by a token, 8 delete a line, 9 duplicate a line, 10 swap two lines,
    11 delete or duplicate an empty XML element.
    Deterministic: the same edits give the same bytes."""
    buf = bytearray(data)
    for op, pos, length, payload in edits:
        n = len(buf)
        p = pos % (n + 1)
        if op == 0 and n:
            buf[p % n] ^= 1 << (length % 8)
        elif op == 1 and n:
            buf[p % n] = payload[0] if payload else 0
        elif op == 2:
            buf[p:p] = payload
        elif op == 3 and n:
            del buf[p : p + 1 + length % max(1, n // 4)]
        elif op == 4 and n:
            span = bytes(buf[p : p + 1 + length % 64])
            buf[p:p] = span
        elif op == 5 and tokens:
            buf[p:p] = tokens[length % len(tokens)]
        elif op == 6 and other:
            q = length % len(other)
            buf[p:] = other[q:] if length % 2 else other[q:] + bytes(buf[p:])
        elif op == 7 and tokens:
            values = list(_VALUE.finditer(buf))
            if values:
                m = values[pos % len(values)]
                token = tokens[length % len(tokens)]
                if m.group().startswith(b'"'):
                    token = b'"' + token.replace(b'"', b"") + b'"'
                buf[m.start() : m.end()] = token
        elif op in (8, 9, 10):
            lines = _lines(buf)
            if not lines:
                continue
            i = pos % len(lines)
            if op == 8:
                del lines[i]
            elif op == 9:
                lines.insert(i, lines[i])
            else:
                j = length % len(lines)
                lines[i], lines[j] = lines[j], lines[i]
            buf = bytearray(b"".join(lines))
        elif op == 11:
            elements = list(_ELEMENT.finditer(buf))
            if elements:
                m = elements[pos % len(elements)]
                buf[m.start() : m.end()] = m.group() * 2 if length % 2 else b""
    return bytes(buf)


def random_edits(rng: random.Random, text: bool, max_edits: int = 4) -> list[Edit]:
    """A random edit list (the long run's mutations); ``text`` favours value and line
    edits, which keep XML, playlists and traces well-formed enough to reach deep code."""
    ops = _TEXT_OPS if text else _BYTE_OPS
    out: list[Edit] = []
    for _ in range(rng.randint(1, max_edits)):
        op = rng.choice(ops)
        payload = rng.randbytes(rng.randint(0, 8)) if op in (1, 2) else b""
        out.append((op, rng.getrandbits(20), rng.getrandbits(16), payload))
    return out


def random_inputs(target: Target, seed: int) -> Iterator[bytes]:
    """An endless, reproducible stream of mutated seeds (and some raw bytes) for ``target``."""
    rng = random.Random(seed)
    seeds = target.seeds()
    while True:
        if rng.random() < 0.02:
            yield rng.randbytes(rng.randint(0, 256))
            continue
        base = rng.choice(seeds)
        other = rng.choice(seeds)
        yield apply_edits(base, random_edits(rng, target.text), target.tokens, other)


def check(target: Target, data: bytes) -> BaseException | None:
    """Run ``target`` on ``data``; the escaped exception if it is not an allowed one."""
    try:
        target.run(data)
    except target.allowed:
        return None
    except RecursionError as exc:  # a finding too, but never let it kill the run
        return exc
    except Exception as exc:
        return exc
    return None

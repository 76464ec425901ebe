"""The HLS writer: a master playlist and one media playlist per track.

Media playlists sit in their track's directory and name the same fMP4 files the MPD does
(``EXT-X-MAP`` for the init segment; ``EXT-X-BYTERANGE`` into one file for single-file
output). Audio renditions and WebVTT subtitles are ``EXT-X-MEDIA`` groups.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from player.packager.protection import COMMON_SYSTEM_ID, ClearKeyEncryption
from player.packager.result import PackagedTrack

VERSION = 7
AUDIO_GROUP = "audio"
SUBTITLE_GROUP = "subs"


def _quoted(value: str) -> str:
    # Quoted-string attribute values may not contain double quotes or line breaks.
    return '"' + value.replace('"', "'").replace("\n", " ").replace("\r", " ") + '"'


def _relative(target: str, playlist: str) -> str:
    base = PurePosixPath(playlist).parent
    t = PurePosixPath(target)
    try:
        return str(t.relative_to(base))
    except ValueError:
        return "../" * len(base.parts) + str(t)


def target_duration(durations: Sequence[float]) -> int:
    """``EXT-X-TARGETDURATION``: every EXTINF, rounded to the nearest integer, fits."""
    return max(1, max(math.floor(d + 0.5) for d in durations))


def key_lines(enc: ClearKeyEncryption) -> list[str]:
    """``EXT-X-KEY`` tags for cenc fMP4: the common PSSH (as Shaka Packager writes it) and,
    with a license server, the W3C ClearKey key format pointing at it."""
    kid = "0x" + enc.key_id.hex()
    lines = [
        "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,"
        f'URI="data:text/plain;base64,{enc.pssh_base64()}",KEYID={kid},'
        f'KEYFORMAT="urn:uuid:{COMMON_SYSTEM_ID}",KEYFORMATVERSIONS="1"'
    ]
    if enc.license_url:
        lines.append(
            f"#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI={_quoted(enc.license_url)},KEYID={kid},"
            'KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1"'
        )
    return lines


def media_playlist(track: PackagedTrack, encryption: ClearKeyEncryption | None) -> str:
    """The media playlist text of an fMP4 track."""
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        f"#EXT-X-TARGETDURATION:{target_duration(track.segment_durations)}",
        "#EXT-X-MEDIA-SEQUENCE:1",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    if encryption is not None:
        lines += key_lines(encryption)
    init = _relative(track.init, track.playlist)
    if track.init_range is not None:
        a, b = track.init_range
        lines.append(f'#EXT-X-MAP:URI="{init}",BYTERANGE="{b - a + 1}@{a}"')
    else:
        lines.append(f'#EXT-X-MAP:URI="{init}"')
    for i, (uri, seconds) in enumerate(zip(track.segments, track.segment_durations, strict=True)):
        lines.append(f"#EXTINF:{seconds:.6f},")
        if track.byte_ranges:
            a, b = track.byte_ranges[i]
            lines.append(f"#EXT-X-BYTERANGE:{b - a + 1}@{a}")
        lines.append(_relative(uri, track.playlist))
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def subtitle_playlist(track: PackagedTrack) -> str:
    """A media playlist over one whole-title WebVTT file."""
    seconds = track.segment_durations[0]
    return "\n".join(
        [
            "#EXTM3U",
            f"#EXT-X-VERSION:{VERSION}",
            f"#EXT-X-TARGETDURATION:{target_duration([seconds])}",
            "#EXT-X-MEDIA-SEQUENCE:1",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            f"#EXTINF:{seconds:.6f},",
            _relative(track.init, track.playlist),
            "#EXT-X-ENDLIST",
            "",
        ]
    )


def write_hls(
    out_dir: Path,
    master_name: str,
    *,
    video: Sequence[PackagedTrack],
    audio: Sequence[PackagedTrack],
    text: Sequence[PackagedTrack],
    encryption: ClearKeyEncryption | None,
) -> Path:
    """Write the master and every media playlist; returns the master's path."""
    for t in (*video, *audio):
        (out_dir / t.playlist).write_text(media_playlist(t, encryption), encoding="utf-8")
    for t in text:
        (out_dir / t.playlist).write_text(subtitle_playlist(t), encoding="utf-8")
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for i, t in enumerate(audio):
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",'
            f"LANGUAGE={_quoted(t.language or 'und')},NAME={_quoted(t.label or t.id)},"
            f"DEFAULT={'YES' if i == 0 else 'NO'},AUTOSELECT=YES,"
            f'CHANNELS="{t.channels or 2}",URI={_quoted(t.playlist)}'
        )
    for t in text:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{SUBTITLE_GROUP}",'
            f"LANGUAGE={_quoted(t.language or 'und')},NAME={_quoted(t.label or t.id)},"
            f"DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI={_quoted(t.playlist)}"
        )
    audio_peak = max((t.bandwidth for t in audio), default=0)
    audio_avg = max((t.average_bitrate for t in audio), default=0)
    audio_codecs = sorted({t.codecs for t in audio})
    for t in sorted(video, key=lambda v: v.bandwidth):
        attrs = [
            f"BANDWIDTH={t.bandwidth + audio_peak}",
            f"AVERAGE-BANDWIDTH={t.average_bitrate + audio_avg}",
            f'CODECS="{",".join([t.codecs, *audio_codecs])}"',
            f"RESOLUTION={t.width}x{t.height}",
            f"FRAME-RATE={_frame_rate(t.frame_rate):.3f}",
        ]
        if audio:
            attrs.append(f'AUDIO="{AUDIO_GROUP}"')
        if text:
            attrs.append(f'SUBTITLES="{SUBTITLE_GROUP}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attrs))
        lines.append(t.playlist)
    master = out_dir / master_name
    master.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return master


def _frame_rate(text: str | None) -> float:
    if not text:
        return 0.0
    num, _, den = text.partition("/")
    return float(num) / float(den or 1)

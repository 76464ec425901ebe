"""``abrkit package SRC OUTDIR``: encode a ladder and write DASH + HLS."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from player.cli import Command
from player.errors import Code, PlayerError
from player.packager import (
    ClearKeyEncryption,
    PackageResult,
    Subtitles,
    package,
)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", help="source media file")
    p.add_argument("outdir", help="output directory (created)")
    p.add_argument(
        "--ladder",
        help="rungs WIDTHxHEIGHT@BITRATE, comma-separated (default: 5 rungs 216p..1080p)",
    )
    p.add_argument("--codec", default="h264", help="h264 | hevc | vp9 | av1 (default h264)")
    p.add_argument("--segment", type=float, default=4.0, help="segment seconds (default 4)")
    p.add_argument("--timeline", action="store_true", help="DASH SegmentTimeline")
    p.add_argument(
        "--single-file", action="store_true", help="one file per track: SegmentBase + sidx"
    )
    p.add_argument(
        "--audio", default="auto", choices=["auto", "tone", "none"], help="audio track source"
    )
    p.add_argument("--language", default="und", help="audio language tag (default und)")
    p.add_argument("--duration", type=float, help="cut the title to this many seconds")
    p.add_argument("--loop", action="store_true", help="repeat the source to reach --duration")
    p.add_argument(
        "--subtitles",
        action="append",
        default=[],
        metavar="LANG=FILE.vtt",
        help="add a WebVTT subtitle track (repeatable)",
    )
    p.add_argument("--preset", help="encoder speed preset (default: per codec and size)")
    p.add_argument("--encrypt", choices=["clearkey"], help="encrypt with ClearKey cenc")
    p.add_argument("--key-id", help="key id, 32 hex digits")
    p.add_argument("--key", help="content key, 32 hex digits")
    p.add_argument("--license-url", help="ClearKey license server URL for the manifests")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _subtitles(values: list[str]) -> list[Subtitles]:
    subs: list[Subtitles] = []
    for value in values:
        lang, sep, file = value.partition("=")
        if not sep or not lang or not file:
            raise PlayerError(Code.INVALID_ARGUMENT, f"--subtitles wants LANG=FILE, got {value!r}")
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PlayerError(
                Code.SOURCE_UNREADABLE, f"cannot read subtitles {file}: {exc}"
            ) from exc
        subs.append(Subtitles(lang, lang, text))
    return subs


def _encryption(args: argparse.Namespace) -> ClearKeyEncryption | None:
    if args.encrypt is None:
        if args.key or args.key_id:
            raise PlayerError(Code.INVALID_ARGUMENT, "--key/--key-id need --encrypt clearkey")
        return None
    if not args.key or not args.key_id:
        raise PlayerError(Code.INVALID_ARGUMENT, "--encrypt clearkey needs --key-id and --key")
    return ClearKeyEncryption.from_hex(args.key_id, args.key, args.license_url)


def summary(result: PackageResult) -> str:
    """A human-readable table of what was packaged."""
    lines = [
        f"{result.duration:.2f} s, {result.segment_duration:g} s segments, "
        f"built in {result.build_seconds:.1f} s",
        f"  DASH: {result.mpd}",
        f"  HLS:  {result.hls_master}",
    ]
    for t in (*result.video, *result.audio):
        what = f"{t.width}x{t.height}" if t.kind == "video" else f"{t.language} audio"
        target = f" (target {t.target_bitrate / 1000:.0f})" if t.target_bitrate else ""
        lines.append(
            f"  {what:>14} {t.codecs:<14} mean {t.average_bitrate / 1000:7.0f} kbit/s{target}"
            f", peak {t.bandwidth / 1000:.0f}, {len(t.segment_sizes)} segments"
        )
    for t in result.text:
        lines.append(f"  {(t.language or 'und') + ' subtitles':>14} {t.init}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    result = package(
        args.src,
        args.outdir,
        ladder=args.ladder,
        codec=args.codec,
        segment_duration=args.segment,
        timeline=args.timeline,
        single_file=args.single_file,
        audio=args.audio,
        language=args.language,
        duration=args.duration,
        loop=args.loop,
        subtitles=_subtitles(args.subtitles),
        encryption=_encryption(args),
        preset=args.preset,
        progress=False if args.no_progress or args.json else None,
    )
    if args.json:
        data = result.to_json()
        data["dir"] = str(result.dir)
        print(json.dumps(data))
    else:
        print(summary(result))
    return 0


command = Command(
    name="package",
    help="encode a source into an ABR ladder and write DASH + HLS",
    add_arguments=_add_arguments,
    run=_run,
)

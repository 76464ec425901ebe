"""``abrkit play URL``: headless real-time playback, stats at the end.

Plays a DASH or HLS URL in real time without a window: video and audio are decoded by
the PyAV decode path, audio into a silent device that plays in real time, so its clock
leads as a sound card's would (``--no-decode`` discards media instead); ``frames_decoded``,
``dropped_frames`` and ``time_to_first_frame_s`` are then those of real frames. The
session's stats are printed when playback ends, when ``--for SECONDS`` have passed, or on
Ctrl-C. With ``--json`` the output is the stats record of ``docs/ARCHITECTURE.md``
(``time_to_first_frame_s``, ``rebuffer_count``, ``rebuffer_s``, ``switches``,
``avg_bitrate_kbps``, ``qoe_lin``, ``bytes``, ``dropped_frames``, ``errors``, ...).

Protected content gets its keys through the Player's DRM (a ClearKey license from the
server the manifest names, or ``--license-url``). A fatal playback error (a refused
license, a server that is down, a wrong key, a missing segment) ends the command through
``abrkit``'s error path: ``{"error": {"category", "code", "name", "message"}}`` with
``--json`` (plain words otherwise, after the stats) and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from player.cli import Command
from player.config import PlayerConfig
from player.engine import PlayerEvent
from player.errors import Code, PlayerError
from player.sink import MediaSink, NullSink
from player.stats import PlaybackStats

__all__ = ["command", "format_event", "format_stats"]

_SHOWN = {"playback_started", "stalled", "resumed", "quality_changed", "seeked", "ended", "error"}


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="manifest URL (DASH .mpd or HLS .m3u8)")
    p.add_argument("--abr", default=None, help="ABR policy name (default: throughput)")
    p.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=None,
        help="stop after this many seconds of wall time (default: play to the end)",
    )
    p.add_argument("--json", action="store_true", help="print the stats record as JSON")
    p.add_argument("--start", type=float, default=None, help="start position in seconds")
    p.add_argument("--quality", type=int, default=None, help="fix the video rung (0 = lowest)")
    p.add_argument("--no-decode", action="store_true", help="discard media instead of decoding")
    p.add_argument("--analytics", default=None, help="append every event to this JSON-lines file")
    p.add_argument("--cmcd", action="store_true", help="send CMCD keys on segment requests")
    p.add_argument("--max-height", type=int, default=None, help="never pick taller rungs")
    p.add_argument("--audio", default=None, help="preferred audio language")
    p.add_argument("--quiet", action="store_true", help="no event lines, only the stats")
    p.add_argument(
        "--license-url",
        default=None,
        help="license server URL for protected content (overrides the manifest's)",
    )
    p.add_argument(
        "--key-system",
        default=None,
        help="EME key system for protected content (default: from the manifest, else ClearKey)",
    )


def _config(args: argparse.Namespace) -> PlayerConfig:
    data: dict[str, Any] = {}
    if args.abr:
        data["abr"] = {"policy": args.abr}
    if args.analytics:
        data["analytics"] = {"path": args.analytics}
    if args.cmcd:
        data["cmcd"] = {"enabled": True}
    prefs: dict[str, Any] = {}
    if args.max_height:
        prefs["max_height"] = args.max_height
    if args.audio:
        prefs["audio_language"] = args.audio
    if prefs:
        data["preferences"] = prefs
    drm: dict[str, Any] = {}
    if args.license_url:
        drm["license_url"] = args.license_url
    if args.key_system:
        drm["key_system"] = args.key_system
    if drm:
        data["drm"] = drm
    return PlayerConfig.from_dict(data)


def _sink(no_decode: bool) -> MediaSink:
    if no_decode:
        return NullSink()
    from player.decode import DecodingSink, VirtualAudioOutput

    # Audio is decoded too and played into a silent real-time device: its clock leads.
    return DecodingSink(audio_output=VirtualAudioOutput())


def format_event(ev: PlayerEvent, t0: float) -> str | None:
    """One line for an event worth showing a person (None for the rest)."""
    if ev.type not in _SHOWN:
        return None
    fields = {k: v for k, v in ev.to_record().items() if k not in ("type", "time")}
    detail = " ".join(
        f"{k}={round(v, 3) if isinstance(v, float) else v}" for k, v in fields.items()
    )
    return f"{ev.time - t0:8.3f}s  {ev.type:<17} {detail}"


def _print_event(ev: PlayerEvent, t0: float) -> None:
    line = format_event(ev, t0)
    if line is not None:
        print(line, file=sys.stderr)


def format_stats(stats: PlaybackStats) -> str:
    """The stats as an aligned table for people (``--json`` gives the record)."""
    rec = stats.to_json()
    rows = [
        ("time to first frame", f"{rec['time_to_first_frame_s']} s"),
        ("rebuffers", f"{rec['rebuffer_count']} ({rec['rebuffer_s']} s)"),
        ("switches", rec["switches"]),
        ("average bitrate", f"{rec['avg_bitrate_kbps']} kbit/s"),
        ("time-weighted bitrate", f"{rec['time_weighted_bitrate_kbps']} kbit/s"),
        ("estimated bandwidth", f"{rec['estimated_bandwidth_kbps']} kbit/s"),
        ("linear QoE", rec["qoe_lin"]),
        ("bytes", rec["bytes"]),
        ("frames decoded / dropped", f"{rec['frames_decoded']} / {rec['dropped_frames']}"),
        ("played", f"{rec['played_s']} s{' (ended)' if rec['ended'] else ''}"),
        ("errors", len(rec["errors"])),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines += [
        f"  error {err.get('code')} {err.get('name')}: {err.get('message')}"
        for err in rec["errors"]
    ]
    return "\n".join(lines)


async def _play(args: argparse.Namespace) -> tuple[PlaybackStats, PlayerError | None]:
    """Play; the stats, and the fatal error playback stopped on (if any)."""
    from player.player import Player

    if args.seconds is not None and not args.seconds > 0:
        raise PlayerError(Code.INVALID_ARGUMENT, f"--for must be > 0, not {args.seconds}")
    player = Player(_config(args), sink=_sink(args.no_decode))
    t0 = time.monotonic()
    if not args.json and not args.quiet:
        player.on(None, lambda ev: _print_event(ev, t0))
    try:
        await player.load(args.url, start=args.start)
        if args.quality is not None:
            player.select_quality(args.quality)
        fatal: PlayerError | None = None
        try:
            await player.wait_ended(timeout=args.seconds)
        except TimeoutError:
            pass  # --for elapsed: stop here
        except PlayerError as err:
            fatal = err
        return player.stats, fatal
    finally:
        await player.close()


def _run(args: argparse.Namespace) -> int:
    stats, fatal = asyncio.run(_play(args))
    if fatal is not None:
        if not args.json:
            print(format_stats(stats))
        raise fatal  # abrkit's error path: {"error": {...}} with --json, exit status 2
    if args.json:
        print(json.dumps(stats.to_json()))
    else:
        print(format_stats(stats))
    return 0


def _main(args: argparse.Namespace) -> int:
    with contextlib.suppress(BrokenPipeError):
        return _run(args)
    return 0


command = Command(
    name="play",
    help="play a DASH/HLS URL headless in real time and print the session's stats",
    add_arguments=_add_arguments,
    run=_main,
)

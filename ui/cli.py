"""``abrkit gui [URL]``: the desktop viewer.

With no URL it plays the built-in sample title, served on loopback by an embedded origin
(built on first use and cached); ``offline:ID`` plays a title of the offline store.
``--screenshot OUT.png --after SECONDS`` plays, saves a picture of the window and exits,
without a display if need be (Qt's offscreen platform).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from player import Code, PlayerConfig, PlayerError
from player.cli import Command

__all__ = ["command"]


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "url",
        nargs="?",
        default=None,
        help="DASH/HLS URL, local manifest or folder (default: the sample title)",
    )
    p.add_argument(
        "--screenshot", type=Path, default=None, metavar="OUT.png", help="save the window, exit"
    )
    p.add_argument(
        "--after",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="with --screenshot: seconds of playback before the picture (default 3)",
    )
    p.add_argument("--stats", action="store_true", help="open the stats overlay")
    p.add_argument("--abr", default=None, help="ABR policy name (default: throughput)")
    p.add_argument("--subtitles", default=None, metavar="LANG", help="show subtitles in LANG")
    p.add_argument("--audio", default=None, metavar="LANG", help="preferred audio language")
    p.add_argument("--size", default="1024x640", help="window size WxH (default 1024x640)")
    p.add_argument(
        "--store",
        type=Path,
        default=None,
        metavar="DIR",
        help="offline store for offline:ID titles (default: abrkit download's)",
    )


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if (
        not sep
        or not w.isdigit()
        or not h.isdigit()
        or not (200 <= int(w) <= 8192 and 150 <= int(h) <= 8192)
    ):
        raise PlayerError(Code.INVALID_ARGUMENT, f"--size must be WxH like 1280x720, not {text!r}")
    return int(w), int(h)


def _config(args: argparse.Namespace) -> PlayerConfig | None:
    data: dict[str, object] = {}
    if args.abr:
        data["abr"] = {"policy": args.abr}
    prefs = {
        k: v for k, v in (("text_language", args.subtitles), ("audio_language", args.audio)) if v
    }
    if prefs:
        data["preferences"] = prefs
    return PlayerConfig.from_dict(data) if data else None


def _run(args: argparse.Namespace) -> int:
    if not args.after > 0 or args.after > 3600:
        raise PlayerError(
            Code.INVALID_ARGUMENT, f"--after must be 0..3600 seconds, not {args.after}"
        )
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        raise PlayerError(Code.INVALID_ARGUMENT, "--screenshot must name a .png file")
    size = _size(args.size)
    config = _config(args)
    try:
        from ui.app import needs_offscreen, run_viewer
    except ImportError as exc:
        raise PlayerError(
            Code.INVALID_CONFIG, f"the viewer needs PyQt6: pip install 'abrkit[gui]' ({exc})"
        ) from None
    if args.screenshot is not None and needs_offscreen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return run_viewer(
        args.url,
        config=config,
        screenshot=args.screenshot,
        after=args.after,
        stats=args.stats,
        size=size,
        offline_store=args.store,
    )


command = Command(
    name="gui",
    help="watch a title in the desktop viewer (default: the sample title)",
    add_arguments=_add_arguments,
    run=_run,
)

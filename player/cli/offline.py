"""``abrkit offline ls|play|renew|rm``: the titles of the offline store.

- ``ls [--json]``: every title; ``--json`` prints a list of ``{"id", "url", "bytes",
  "complete", "expires_at", "window_ends_at"}`` (ISO 8601 times or null).
- ``play ID [--for SECONDS] [--json]``: play a stored title with no network, resuming
  where it was left; prints the same stats as ``abrkit play`` (``--json``: its record).
- ``renew ID [--license-url URL]``: a fresh license, without downloading content again.
- ``rm ID``: release the license and delete the title.

Each takes ``--store DIR`` (default ``$ABRKIT_STORE`` or ``~/.local/share/abrkit/offline``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import sys
from typing import Any

from player.cli import Command
from player.cli.download import add_store_arguments, open_store
from player.errors import Code, PlayerError

__all__ = ["command"]


def _add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    ls = sub.add_parser("ls", help="list the stored titles")
    ls.add_argument("--json", action="store_true", help="print the list as JSON")
    add_store_arguments(ls)
    play = sub.add_parser("play", help="play a stored title with no network")
    play.add_argument("id", help="the title id (see ls)")
    play.add_argument(
        "--for", dest="seconds", type=float, default=None, help="stop after this many seconds"
    )
    play.add_argument("--start", type=float, default=None, help="start here, not where it was left")
    play.add_argument("--no-decode", action="store_true", help="discard media instead of decoding")
    play.add_argument("--json", action="store_true", help="print the stats record as JSON")
    add_store_arguments(play)
    renew = sub.add_parser("renew", help="renew a title's license online")
    renew.add_argument("id", help="the title id")
    renew.add_argument("--license-url", default=None, help="license server (default: stored)")
    renew.add_argument("--json", action="store_true", help="print the title as JSON")
    add_store_arguments(renew)
    rm = sub.add_parser("rm", help="release the license and delete a title")
    rm.add_argument("id", help="the title id")
    rm.add_argument("--json", action="store_true", help="print the outcome as JSON")
    add_store_arguments(rm)


def _when(t: float | None) -> str:
    if t is None:
        return "-"
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _ls(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        titles = store.list()
        now = store.clock()
    finally:
        store.close()
    if args.json:
        print(json.dumps([t.to_json() for t in titles]))
        return 0
    if not titles:
        print("no stored titles")
        return 0
    for t in titles:
        state = "complete" if t.complete else f"partial {t.files_done}/{t.files_total}"
        if t.complete and t.expired(now):
            state = "expired" if not t.needs_renewal else "clock set back: renew"
        print(
            f"{t.id}  {t.bytes:>12} B  {state:<22} expires {_when(t.expires_at)}  "
            f"window {_when(t.window_ends_at)}  {t.url}"
        )
    return 0


async def _play(args: argparse.Namespace) -> Any:
    from player.config import PlayerConfig
    from player.sink import MediaSink, NullSink

    if args.seconds is not None and not args.seconds > 0:
        raise PlayerError(Code.INVALID_ARGUMENT, f"--for must be > 0, not {args.seconds}")
    sink: MediaSink
    if args.no_decode:
        sink = NullSink()
    else:
        from player.decode import DecodingSink

        sink = DecodingSink()
    store = open_store(args)
    try:
        async with store.play(args.id, PlayerConfig(), sink=sink, start=args.start) as player:
            try:
                await player.wait_ended(timeout=args.seconds)
            except TimeoutError:
                pass  # --for elapsed
            except PlayerError:
                pass  # fatal (an expiry mid-play): it is in the stats' errors
            return player.stats
    finally:
        store.close()


def _print_stats(rec: dict[str, Any]) -> None:
    rows = [
        ("time to first frame", f"{rec['time_to_first_frame_s']} s"),
        ("rebuffers", f"{rec['rebuffer_count']} ({rec['rebuffer_s']} s)"),
        ("switches", rec["switches"]),
        ("average bitrate", f"{rec['avg_bitrate_kbps']} kbit/s"),
        ("bytes", rec["bytes"]),
        ("frames decoded / dropped", f"{rec['frames_decoded']} / {rec['dropped_frames']}"),
        ("played", f"{rec['played_s']} s{' (ended)' if rec['ended'] else ''}"),
        ("errors", len(rec["errors"])),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    for err in rec["errors"]:
        print(f"  error {err.get('code')} {err.get('name')}: {err.get('message')}")


def _play_cmd(args: argparse.Namespace) -> int:
    stats = asyncio.run(_play(args))
    rec = stats.to_json()
    if args.json:
        print(json.dumps(rec))
    else:
        _print_stats(rec)
    return 1 if [e for e in rec["errors"] if e.get("fatal")] else 0


async def _renew(args: argparse.Namespace) -> dict[str, Any]:
    store = open_store(args)
    try:
        info = await store.renew(args.id, license_url=args.license_url)
    finally:
        store.close()
    record: dict[str, Any] = info.to_json()
    return record


async def _rm(args: argparse.Namespace) -> bool:
    store = open_store(args)
    try:
        released: bool = await store.remove(args.id)
    finally:
        store.close()
    return released


def _run(args: argparse.Namespace) -> int:
    action = getattr(args, "action", None)
    if action == "ls":
        return _ls(args)
    if action == "play":
        return _play_cmd(args)
    if action == "renew":
        rec = asyncio.run(_renew(args))
        print(json.dumps(rec) if args.json else f"renewed {rec['id']}: expires {rec['expires_at']}")
        return 0
    if action == "rm":
        released = asyncio.run(_rm(args))
        if args.json:
            print(json.dumps({"id": args.id, "removed": True, "license_released": released}))
        else:
            print(f"removed {args.id}" + (" (license released)" if released else ""))
        return 0
    print("abrkit offline: choose ls, play, renew or rm (see --help)", file=sys.stderr)
    return 2


def _main(args: argparse.Namespace) -> int:
    with contextlib.suppress(BrokenPipeError):
        return _run(args)
    return 0


command = Command(
    name="offline",
    help="list, play, renew or remove titles of the offline store",
    add_arguments=_add_arguments,
    run=_main,
)

"""``abrkit download URL``: store a DASH/HLS title for offline playback.

Downloads the rungs and languages asked for (``--max-height``, ``--max-bitrate``,
``--rung``, ``--lang``) into the offline store (``--store``, default ``$ABRKIT_STORE`` or
``~/.local/share/abrkit/offline``), with a persistent license from ``--license-url`` when
the title is encrypted, showing a progress bar. Run it again after an interruption
(Ctrl-C, a kill, a full disk) and it resumes where it stopped. ``--json`` prints the
title's record (``abrkit offline ls --json`` shows the same).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from player.cli import Command
from player.errors import Code, PlayerError

__all__ = ["add_store_arguments", "command", "open_store"]


def default_store() -> Path:
    """``$ABRKIT_STORE``, else ``$XDG_DATA_HOME/abrkit/offline`` (``~/.local/share``)."""
    env = os.environ.get("ABRKIT_STORE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "abrkit" / "offline"


def add_store_arguments(p: argparse.ArgumentParser) -> None:
    """``--store`` and ``--key-file``, shared by ``download`` and ``offline``."""
    p.add_argument(
        "--store",
        metavar="DIR",
        default=None,
        help="the offline store folder (default: $ABRKIT_STORE or ~/.local/share/abrkit/offline)",
    )
    p.add_argument(
        "--key-file",
        metavar="FILE",
        default=None,
        help="the store key file (default: the OS keyring if usable, else "
        "~/.config/abrkit/offline-keys/)",
    )


def open_store(args: argparse.Namespace, **kwargs: Any) -> Any:
    """The :class:`~player.offline.OfflineStore` the arguments name."""
    from player.offline import OfflineStore

    path = Path(args.store) if args.store else default_store()
    return OfflineStore(path, key_file=args.key_file, **kwargs)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="manifest URL (DASH .mpd or HLS .m3u8), video on demand")
    p.add_argument("--max-height", type=int, default=None, help="store rungs up to this height")
    p.add_argument(
        "--max-bitrate",
        type=int,
        default=None,
        metavar="BPS",
        help="store rungs up to this bit/s",
    )
    p.add_argument(
        "--rung",
        action="append",
        default=[],
        metavar="ID",
        help="store exactly this video representation (repeatable)",
    )
    p.add_argument(
        "--lang",
        action="append",
        default=[],
        metavar="XX",
        help="audio and subtitle language to store (repeatable; default: all)",
    )
    p.add_argument("--license-url", default=None, help="license server for encrypted titles")
    p.add_argument("--parallel", type=int, default=4, help="files fetched at once (default 4)")
    add_store_arguments(p)
    p.add_argument("--json", action="store_true", help="print the stored title as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


async def _download(args: argparse.Namespace) -> dict[str, Any]:
    from player.offline import DownloadProgress, Selection

    if args.parallel < 1:
        raise PlayerError(Code.INVALID_ARGUMENT, f"--parallel must be >= 1, not {args.parallel}")
    selection = Selection(
        max_height=args.max_height,
        max_bitrate=args.max_bitrate,
        representation_ids=tuple(args.rung),
        audio_languages=tuple(args.lang),
        text_languages=tuple(args.lang),
    )
    bar: Any = None
    if not args.quiet and not args.json:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="B", unit_scale=True, desc="download", file=sys.stderr)

    def progress(p: DownloadProgress) -> None:
        if bar is not None:
            bar.total = p.bytes_total
            bar.n = p.bytes_done
            bar.set_postfix_str(f"{p.files_done}/{p.files_total} files", refresh=False)
            bar.refresh()

    store = open_store(args, parallel=args.parallel)
    try:
        info = await store.download(
            args.url, selection, license_url=args.license_url, on_progress=progress
        )
    finally:
        store.close()
        if bar is not None:
            bar.close()
    record: dict[str, Any] = info.to_json()
    return record


def _run(args: argparse.Namespace) -> int:
    record = asyncio.run(_download(args))
    if args.json:
        print(json.dumps(record))
    else:
        print(f"stored {record['id']}: {record['bytes']} bytes, expires {record['expires_at']}")
    return 0


command = Command(
    name="download",
    help="download a DASH/HLS title into the offline store (resumable)",
    add_arguments=_add_arguments,
    run=_run,
)

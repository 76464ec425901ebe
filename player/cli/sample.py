"""``abrkit sample [--out DIR]``: build (or find) the built-in sample title."""

from __future__ import annotations

import argparse
import json

from player.cli import Command
from player.cli.package import summary
from player.packager import build_sample


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", help="output directory (default: the cache, reused when complete)")
    p.add_argument("--force", action="store_true", help="rebuild even when a build exists")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _run(args: argparse.Namespace) -> int:
    result = build_sample(
        args.out, force=args.force, progress=False if args.no_progress or args.json else None
    )
    if args.json:
        data = result.to_json()
        data["dir"] = str(result.dir)
        print(json.dumps(data))
    else:
        print(summary(result))
    return 0


command = Command(
    name="sample",
    help="build the built-in sample title (Big Buck Bunny, 64 s, 5 rungs, 2 languages)",
    add_arguments=_add_arguments,
    run=_run,
)

"""The ``abrkit`` command: one console script, subcommands as plugins.

Each package registers its subcommands under the ``abrkit.commands`` entry-point group
(see ``pyproject.toml``), so ``player`` never imports ``traces`` or ``ui``. An entry point
names a module-level ``Command``: ``name``, ``help``, ``add_arguments(parser)`` and
``run(args) -> int``. A ``PlayerError`` escaping ``run`` is printed in plain words (or as
``{"error": {...}}`` when the command was given ``--json``) with exit status 2, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

from player.errors import PlayerError


@dataclass(frozen=True)
class Command:
    """One subcommand of ``abrkit``."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _discover() -> dict[str, Command]:
    commands: dict[str, Command] = {}
    for ep in entry_points(group="abrkit.commands"):
        try:
            cmd = ep.load()
        except ImportError as exc:  # an optional extra (gui, distributed) is missing
            commands[ep.name] = _unavailable(ep.name, exc)
            continue
        if isinstance(cmd, Command):
            commands[cmd.name] = cmd
    return commands


def _unavailable(name: str, exc: ImportError) -> Command:
    def run(args: argparse.Namespace) -> int:
        print(f"abrkit {name}: unavailable: {exc} (install the matching extra)", file=sys.stderr)
        return 2

    return Command(name, f"(unavailable: {exc.name or exc})", lambda p: None, run)


def build_parser(commands: dict[str, Command] | None = None) -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    commands = _discover() if commands is None else commands
    parser = argparse.ArgumentParser(
        prog="abrkit",
        description="abrkit: an adaptive-bitrate video player SDK and ABR research tool",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in sorted(commands):
        cmd = commands[name]
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``abrkit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 2
    try:
        return int(run(args))
    except PlayerError as err:
        if getattr(args, "json", False):
            print(json.dumps({"error": err.to_json()}))
        else:
            print(f"abrkit {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

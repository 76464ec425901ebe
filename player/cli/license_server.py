"""``abrkit license-server --keys FILE [--port N] [--policy ...]``: a ClearKey license server.

FILE is a JSON object mapping KID hex to key hex. ``--policy`` takes comma-separated
items: ``duration=30d`` (licenses expire), ``window=48h`` (playback window once started),
``renew=10m`` (ask clients to renew), ``refuse`` or ``refuse=REASON`` (403), ``delay=2s``,
``fail=500`` or ``fail=503x2`` (the next two requests only). The server lives in
:mod:`drm.license_server`; this is only its command line (``drm`` may not import
``player``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import signal
import sys
from pathlib import Path

from drm import ClearKeyLicenseServer, LicensePolicy, parse_policy
from player.cli import Command
from player.errors import Code, PlayerError


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keys", required=True, metavar="FILE", help="JSON object {KID hex: key hex}")
    p.add_argument("--port", type=int, default=8090, help="TCP port (0: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument(
        "--policy",
        default="",
        help="duration=30d,window=48h,renew=10m | refuse[=REASON] | delay=2s | fail=500[xN]",
    )
    p.add_argument("--json", action="store_true", help="print the server's URL as JSON")


def _load_keys(path: str) -> dict[str, str]:
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"cannot read keys file {path}: {exc}") from None
    try:
        keys = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlayerError(Code.INVALID_CONFIG, f"keys file {path} is not JSON: {exc}") from None
    if not isinstance(keys, dict) or not keys:
        raise PlayerError(
            Code.INVALID_CONFIG, f"keys file {path} must be a non-empty JSON object {{KID: key}}"
        )
    return keys


async def _serve(server: ClearKeyLicenseServer, as_json: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.start()
    except OSError as exc:
        raise PlayerError(
            Code.INVALID_ARGUMENT, f"cannot listen on {server.host}:{server.port}: {exc}"
        ) from None
    try:
        policy = {
            k: v for k, v in dataclasses.asdict(server.policy).items() if v not in (None, 0.0)
        }
        if as_json:
            print(
                json.dumps(
                    {
                        "url": server.url,
                        "port": server.port,
                        "keys": len(server.keys),
                        "policy": policy,
                    }
                ),
                flush=True,
            )
        else:
            print(
                f"ClearKey license server at {server.url} ({len(server.keys)} keys"
                + (f"; policy {policy}" if policy else "")
                + "); Ctrl-C stops it",
                flush=True,
            )
        await stop.wait()
    finally:
        await server.stop()


def _run(args: argparse.Namespace) -> int:
    keys = _load_keys(args.keys)
    try:
        policy = parse_policy(args.policy) if args.policy else LicensePolicy()
    except ValueError as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"--policy: {exc}") from None
    if not 0 <= args.port <= 65535:
        raise PlayerError(Code.INVALID_ARGUMENT, f"--port {args.port} is not a TCP port")
    try:
        server = ClearKeyLicenseServer(keys, policy, host=args.host, port=args.port)
    except ValueError as exc:
        raise PlayerError(Code.INVALID_CONFIG, f"keys file {args.keys}: {exc}") from None
    asyncio.run(_serve(server, args.json))
    print("license server stopped", file=sys.stderr)
    return 0


command = Command(
    name="license-server",
    help="run a ClearKey license server (KID->key JSON file; optional expiry/failure policy)",
    add_arguments=_add_arguments,
    run=_run,
)

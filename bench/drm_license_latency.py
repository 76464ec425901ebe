"""What does the EME-shaped ClearKey path cost over a bare HTTP POST? Side by side, on loopback.

The ClearKey license server (:class:`drm.ClearKeyLicenseServer`) runs in a child process.
In one run, interleaving the order every repetition, a license for one KID is obtained by:

- ``bare``: an aiohttp POST of the ClearKey JSON request, JSON parse of the answer;
- ``eme``: the full path a player takes: ``MediaKeys.create_session``, ``LicenseClient.acquire``
  (generate_request, transport with filters/retries, update, key checks), ``content_keys``;
- ``cached``: ``KeyManager.keys_for`` on an init segment whose license is already held
  (what every segment after the first costs).

Prints the median time of each and the ratio to ``bare``; the target is ``eme`` within 2x
of ``bare``. Exits 1 above it. Takes a few seconds.

    .venv/bin/python bench/drm_license_latency.py [--reps 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import time
from multiprocessing.connection import Connection

import aiohttp
from _figures import figure, print_json

from drm import (
    COMMON,
    ClearKeyLicenseServer,
    KeyManager,
    LicenseClient,
    LicenseTransport,
    build_pssh,
    license_request,
    request_media_key_system_access,
)
from drm._boxes import box_bytes, full_box_bytes

KID = bytes.fromhex("0123456789abcdef0123456789abcdef")
KEY = "00112233445566778899aabbccddeeff"
TARGET = 2.0


def _serve(conn: Connection) -> None:
    """The license server: a child process, so its CPU is not charged to the clients."""

    async def main() -> None:
        async with ClearKeyLicenseServer({KID.hex(): KEY}) as server:
            conn.send(server.url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())


def _init_segment() -> bytes:
    """A minimal encrypted init segment: one encv track with tenc, and a Common PSSH."""
    tenc = full_box_bytes(b"tenc", 0, 0, b"\0\0\x01\x08" + KID)
    sinf = box_bytes(
        b"sinf",
        box_bytes(b"frma", b"avc1")
        + full_box_bytes(b"schm", 0, 0, b"cenc\x00\x01\x00\x00")
        + box_bytes(b"schi", tenc),
    )
    encv = box_bytes(b"encv", b"\0" * 78 + sinf)
    stsd = full_box_bytes(b"stsd", 0, 0, b"\0\0\0\x01" + encv)
    path = stsd
    for name in (b"stbl", b"minf", b"mdia", b"trak"):
        path = box_bytes(name, path)
    return box_bytes(b"ftyp", b"isom") + box_bytes(
        b"moov", path + build_pssh(COMMON.system_id, [KID])
    )


async def _measure(url: str, reps: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"bare": [], "eme": [], "cached": []}
    body = license_request([KID])
    init = _init_segment()
    access = await request_media_key_system_access("org.w3.clearkey")
    media_keys = await access.create_media_keys()
    async with (
        aiohttp.ClientSession() as http,
        LicenseTransport() as transport,
        LicenseClient(media_keys, license_url=url, transport=transport) as client,
        KeyManager("org.w3.clearkey", url) as manager,
    ):
        assert await manager.keys_for(init) == {KID.hex(): KEY}

        async def bare() -> None:
            async with http.post(url, data=body, headers={"Content-Type": "application/json"}) as r:
                assert json.loads(await r.read())["keys"]

        async def eme() -> None:
            session = await client.acquire("keyids", body)
            assert media_keys.content_keys([KID]) == {KID.hex(): KEY}
            await session.close()

        async def cached() -> None:
            assert await manager.keys_for(init) == {KID.hex(): KEY}

        runs = {"bare": bare, "eme": eme, "cached": cached}
        for name in runs:  # warm-up: connections, imports
            await runs[name]()
        for rep in range(reps):
            order = list(runs) if rep % 2 == 0 else list(reversed(runs))
            for name in order:
                start = time.perf_counter()
                await runs[name]()
                times[name].append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = parser.parse_args()
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    try:
        url = parent.recv()
        times = asyncio.run(_measure(url, args.reps))
    finally:
        parent.send("stop")
        proc.join(timeout=10)
    bare = statistics.median(times["bare"])
    print(f"{'path':8} {'median':>10} {'ratio to bare':>14}")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:8} {med * 1000:8.3f} ms {med / bare:14.2f}")
    ratio = statistics.median(times["eme"]) / bare
    print(f"eme/bare = {ratio:.2f} (target <= {TARGET})")
    if args.json:
        how = (
            f"median of {args.reps} interleaved licenses from a child-process ClearKey server "
            f"on loopback: MediaKeys session + LicenseClient vs a bare aiohttp POST "
            f"({bare * 1000:.2f} ms)"
        )
        figs = [figure("ClearKey license via EME path", round(ratio, 2), "x bare POST", how)]
        print_json(__file__, figs, ok=ratio <= TARGET)
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())

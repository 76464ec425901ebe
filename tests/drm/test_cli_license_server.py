"""``abrkit license-server`` as a real subprocess: it serves licenses, and bad input is a
typed error on stderr with exit status 2, never a traceback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from drm import KeyStatus, LicenseClient, license_request, request_media_key_system_access
from player.cli import main

KID = "0123456789abcdef0123456789abcdef"
KEY = "00112233445566778899aabbccddeeff"


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "player.cli",
        "license-server",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def test_cli_serves_licenses_with_its_policy(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({KID: KEY}))
    proc = await _spawn(
        "--keys", str(keys), "--port", "0", "--json", "--policy", "duration=30d,window=48h"
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=120)
        started = json.loads(line)
        assert started["keys"] == 1
        assert started["policy"] == {
            "license_duration_s": 30 * 86400.0,
            "playback_window_s": 48 * 3600.0,
        }
        access = await request_media_key_system_access("org.w3.clearkey")
        media_keys = await access.create_media_keys()
        async with LicenseClient(media_keys, license_url=started["url"]) as client:
            session = await client.acquire("keyids", license_request([bytes.fromhex(KID)]))
        assert session.key_statuses == {bytes.fromhex(KID): KeyStatus.USABLE}
        assert media_keys.content_keys([bytes.fromhex(KID)]) == {KID: KEY}
        assert session.expiration is not None
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=120)
    assert code == 0


@pytest.mark.parametrize(
    ("keys_text", "extra", "expect"),
    [
        ("{not json", (), "not JSON"),
        ('{"zz": "00"}', (), "32 hex digits"),
        ("[]", (), "non-empty JSON object"),
        (json.dumps({KID: KEY}), ("--policy", "explode"), "unknown policy item"),
        (json.dumps({KID: KEY}), ("--policy", "fail=200"), "HTTP error status"),
        (None, (), "cannot read keys file"),
    ],
)
def test_cli_bad_input_is_a_typed_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    keys_text: str | None,
    extra: tuple[str, ...],
    expect: str,
) -> None:
    keys = tmp_path / "keys.json"
    if keys_text is not None:
        keys.write_text(keys_text)
    assert main(["license-server", "--keys", str(keys), "--port", "0", *extra]) == 2
    err = capsys.readouterr().err
    assert expect in err
    assert "Traceback" not in err

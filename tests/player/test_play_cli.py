"""``abrkit play`` with protected content and real decoding (the console script's main).

Real parts on loopback: the encrypted test title (``tests/player/test_drm_e2e.py``'s
``cenc_title``) behind the shaped origin, a ClearKey license server, the PyAV decode path.

- ``--license-url`` overrides the manifest's license URL (which leads nowhere here);
- with ``--json`` a DRM failure prints ``{"error": {"category": "DRM", "code", ...}}`` and
  exits 2; each failure its own code;
- ``play`` decodes by default, audio too (frames decoded, dropped frames counted, time to
  first frame from a real frame); ``--no-decode`` decodes nothing but still needs the
  license.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from drm import ClearKeyLicenseServer
from player.cli import main
from player.errors import Code
from player.packager import PackageResult
from traces.origin import ShapedOrigin

from .test_drm_e2e import FRAMES, KEY, KID, OTHER_KID, WRONG_KEY, cenc_title

__all__ = ["cenc_title"]  # the fixture, shared with the end-to-end tests

pytestmark = pytest.mark.timeout(180)


async def _abrkit(*argv: str) -> int:
    # The servers run on this loop; the command runs its own loop in a thread.
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # keep the user's bandwidth cache out


async def test_play_decodes_protected_content_with_license_url(
    cenc_title: PackageResult, capsys: pytest.CaptureFixture[str]
) -> None:
    async with ClearKeyLicenseServer({KID: KEY}) as server, ShapedOrigin(cenc_title.dir) as origin:
        url = origin.url + "manifest.mpd"
        rc = await _abrkit("play", url, "--license-url", server.url, "--json", "--quality", "0")
        assert rc == 0
        rec = json.loads(capsys.readouterr().out)
        assert rec["ended"] and rec["errors"] == []
        assert rec["frames_decoded"] == FRAMES, "every frame really decrypted and decoded"
        assert isinstance(rec["dropped_frames"], int) and 0 <= rec["dropped_frames"] < FRAMES
        assert rec["time_to_first_frame_s"] is not None and rec["time_to_first_frame_s"] > 0
        assert [r.status for r in server.requests] == [200]

        # --no-decode: nothing decoded, but the license is still obtained.
        rc = await _abrkit(
            "play", url, "--license-url", server.url, "--json", "--no-decode", "--for", "3"
        )
        assert rc == 0
        rec = json.loads(capsys.readouterr().out)
        assert rec["frames_decoded"] == 0 and rec["dropped_frames"] == 0
        assert rec["errors"] == [] and rec["played_s"] > 0
        assert [r.status for r in server.requests] == [200, 200]


@pytest.mark.parametrize(
    ("case", "codes"),
    [
        ("wrong-key", {Code.DECRYPTION_FAILED}),
        ("kid-missing", {Code.KEY_ID_MISMATCH, Code.NO_USABLE_KEY}),
        ("refused", {Code.LICENSE_REQUEST_FAILED}),
        ("down", {Code.LICENSE_SERVER_UNREACHABLE}),
    ],
)
async def test_play_json_prints_each_drm_failure(
    cenc_title: PackageResult,
    capsys: pytest.CaptureFixture[str],
    case: str,
    codes: set[Code],
) -> None:
    keys = {"wrong-key": {KID: WRONG_KEY}, "kid-missing": {OTHER_KID: KEY}}.get(case, {KID: KEY})
    async with ClearKeyLicenseServer(keys) as server, ShapedOrigin(cenc_title.dir) as origin:
        if case == "refused":
            server.refuse()
        elif case == "down":
            await server.go_down()
        rc = await _abrkit(
            "play", origin.url + "manifest.mpd", "--license-url", server.url, "--json"
        )
    out = capsys.readouterr().out
    assert rc == 2
    record = json.loads(out)  # one JSON document, nothing else on stdout
    assert set(record) == {"error"}
    err = record["error"]
    assert err["category"] == "DRM" and err["code"] in {int(c) for c in codes}
    assert err["name"] == Code(err["code"]).name and err["message"]


async def test_play_without_override_uses_the_manifest_license_url(
    cenc_title: PackageResult, capsys: pytest.CaptureFixture[str]
) -> None:
    async with ShapedOrigin(cenc_title.dir) as origin:
        # The packaged manifest names a license URL where nothing listens.
        rc = await _abrkit("play", origin.url + "manifest.mpd", "--json", "--no-decode")
    assert rc == 2
    err = json.loads(capsys.readouterr().out)["error"]
    assert err["code"] == int(Code.LICENSE_SERVER_UNREACHABLE)


async def test_play_failure_in_plain_words(
    cenc_title: PackageResult, capsys: pytest.CaptureFixture[str]
) -> None:
    async with ClearKeyLicenseServer({KID: KEY}) as server, ShapedOrigin(cenc_title.dir) as origin:
        server.refuse("no subscription")
        rc = await _abrkit(
            "play", origin.url + "manifest.mpd", "--license-url", server.url, "--quiet"
        )
    captured = capsys.readouterr()
    assert rc == 2
    assert "time to first frame" in captured.out, "the stats are still shown to people"
    assert "DRM 6001 (LICENSE_REQUEST_FAILED)" in captured.err

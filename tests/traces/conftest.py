"""Fixtures for the traces tests: a small folder of real files to serve."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder with one file per streaming content type, plus a 200 kB binary."""
    root = tmp_path / "site"
    (root / "video").mkdir(parents=True)
    (root / "manifest.mpd").write_text('<?xml version="1.0"?><MPD/>\n')
    (root / "master.m3u8").write_text("#EXTM3U\n")
    (root / "video" / "seg-1.m4s").write_bytes(os.urandom(10_000))
    (root / "video" / "init.mp4").write_bytes(os.urandom(1_000))
    (root / "subs.vtt").write_text("WEBVTT\n")
    (root / "big.bin").write_bytes(os.urandom(200_000))
    (root / "empty.m4s").write_bytes(b"")
    (tmp_path / "secret.txt").write_text("outside the served folder")
    return root

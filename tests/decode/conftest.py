"""Fixtures of the decode tests: tiny ladders really encoded with PyAV, made once per run."""

from __future__ import annotations

import pytest

from tests.decode.media import Rung, encode_audio, encode_video

SECONDS = 4
FPS = 24


@pytest.fixture(scope="session")
def video_ladder() -> list[Rung]:
    """Two H.264 rungs of the same picture (192x108, 320x180), 1 s segments, B-frames."""
    return [
        encode_video("libx264", 192, 108, fps=FPS, seconds=SECONDS, bitrate=200_000),
        encode_video("libx264", 320, 180, fps=FPS, seconds=SECONDS, bitrate=600_000),
    ]


@pytest.fixture(scope="session")
def audio_ladder() -> list[Rung]:
    """Two AAC stereo 48 kHz rungs (64 and 160 kbit/s) of the same tone, ~1 s segments."""
    return [encode_audio(64_000, seconds=SECONDS), encode_audio(160_000, seconds=SECONDS)]

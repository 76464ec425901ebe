"""The bitrate ladder: what renditions the packager encodes.

A rung is written ``WIDTHxHEIGHT@BITRATE`` with an optional ``k`` or ``M`` suffix on the
bitrate (``640x360@800k``); a ladder is rungs joined by commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from player.errors import Code, PlayerError

_RUNG = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*@\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")


@dataclass(frozen=True, slots=True, order=True)
class RungSpec:
    """One rendition to encode: frame size and target mean bitrate (bits per second)."""

    bitrate: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if self.width < 16 or self.height < 16 or self.width > 8192 or self.height > 8192:
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"rung size {self.width}x{self.height} out of range"
            )
        if self.width % 2 or self.height % 2:
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"rung size {self.width}x{self.height}: width and height must be even (4:2:0)",
            )
        if not 10_000 <= self.bitrate <= 200_000_000:
            raise PlayerError(Code.INVALID_ARGUMENT, f"rung bitrate {self.bitrate} out of range")

    @property
    def name(self) -> str:
        """A stable, filesystem-safe name, e.g. ``640x360_800k``."""
        return f"{self.width}x{self.height}_{round(self.bitrate / 1000)}k"

    def __str__(self) -> str:
        return f"{self.width}x{self.height}@{round(self.bitrate / 1000)}k"


Ladder = tuple[RungSpec, ...]
"""Rungs, lowest bitrate first."""

DEFAULT_LADDER: Ladder = (
    RungSpec(400_000, 384, 216),
    RungSpec(800_000, 640, 360),
    RungSpec(1_600_000, 854, 480),
    RungSpec(3_000_000, 1280, 720),
    RungSpec(5_000_000, 1920, 1080),
)
"""Five 16:9 rungs, 216p to 1080p, 400 kbit/s to 5 Mbit/s."""


def parse_rung(text: str) -> RungSpec:
    """Parse ``WIDTHxHEIGHT@BITRATE`` (``426x240@400k``, ``1920x1080@5M``, ``384x216@350000``).

    Raises ``PlayerError(INVALID_ARGUMENT)`` when the text is not a rung.
    """
    m = _RUNG.match(text)
    if m is None:
        raise PlayerError(
            Code.INVALID_ARGUMENT, f"bad rung {text!r}: expected WIDTHxHEIGHT@BITRATE[k|M]"
        )
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[m.group(4).lower()]
    return RungSpec(round(float(m.group(3)) * scale), int(m.group(1)), int(m.group(2)))


def parse_ladder(text: str) -> Ladder:
    """Parse comma-separated rungs into a ladder sorted by bitrate."""
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise PlayerError(Code.INVALID_ARGUMENT, "empty ladder")
    return make_ladder(parse_rung(p) for p in parts)


def make_ladder(rungs: Iterable[RungSpec]) -> Ladder:
    """A ladder from rungs: sorted by bitrate, rejecting duplicates and empty ladders."""
    ladder = tuple(sorted(rungs))
    if not ladder:
        raise PlayerError(Code.INVALID_ARGUMENT, "empty ladder")
    names = [r.name for r in ladder]
    if len(set(names)) != len(names):
        raise PlayerError(Code.INVALID_ARGUMENT, f"duplicate rungs in ladder: {names}")
    return ladder

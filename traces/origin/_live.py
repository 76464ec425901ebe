"""Serving a VOD folder as live (placeholder while the live source is written)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from traces.origin._static import Body


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """How to serve a VOD title as live."""

    window_s: float = 30.0


class LiveSource:
    """Live views of the VOD manifests of a folder."""

    def __init__(self, root: Path, config: LiveConfig) -> None:
        self.root = root
        self.config = config

    def start(self) -> None:
        """Start the live timeline now."""

    def body_for(self, url_path: str) -> Body | None:
        """The live body for a URL path, or None to serve the file as is."""
        return None

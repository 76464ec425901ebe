"""The last session's bandwidth estimate per origin host, seeding the next start-up.

A small JSON file (``{"host": {"bps": 3.2e6, "time": 1700000000.0}}``) under the user's
cache directory (``$XDG_CACHE_HOME/abrkit/bandwidth.json``, else
``~/.cache/abrkit/bandwidth.json``), or wherever ``AbrConfig.bandwidth_cache_path``
says. Entries older than ``max_age_s`` (a week) are ignored and the file keeps at most
``max_entries`` hosts. A missing, unreadable or corrupt file is an empty cache: the
cache only ever helps, it never stops playback.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["BandwidthCache", "default_cache_path", "host_of"]


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/abrkit/bandwidth.json`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "abrkit" / "bandwidth.json"


def host_of(url: str) -> str:
    """The cache key of a URL: its lowercase ``host[:port]``."""
    return urlsplit(url).netloc.lower()


class BandwidthCache:
    """Per-host bandwidth estimates persisted between sessions."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_age_s: float = 7 * 86400,
        max_entries: int = 256,
    ) -> None:
        self.path = Path(path) if path is not None else default_cache_path()
        self.max_age_s = max_age_s
        self.max_entries = max_entries

    def _load(self) -> dict[str, dict[str, float]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        out: dict[str, dict[str, float]] = {}
        for host, entry in raw.items():
            if not isinstance(entry, dict):
                continue
            bps, t = entry.get("bps"), entry.get("time")
            if (
                isinstance(bps, int | float)
                and isinstance(t, int | float)
                and math.isfinite(bps)
                and bps > 0
            ):
                out[str(host)] = {"bps": float(bps), "time": float(t)}
        return out

    def get(self, host: str, now: float | None = None) -> float | None:
        """The estimate (bit/s) kept for ``host``, or None."""
        entry = self._load().get(host.lower())
        now = time.time() if now is None else now
        if entry is None or now - entry["time"] > self.max_age_s:
            return None
        return entry["bps"]

    def put(self, host: str, bps: float, now: float | None = None) -> bool:
        """Remember ``bps`` for ``host``; False when the file could not be written."""
        if not (math.isfinite(bps) and bps > 0):
            return False
        entries = self._load()
        entries[host.lower()] = {"bps": float(bps), "time": time.time() if now is None else now}
        if len(entries) > self.max_entries:
            newest = sorted(entries.items(), key=lambda kv: kv[1]["time"], reverse=True)
            entries = dict(newest[: self.max_entries])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".bandwidth-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entries, f)
            os.replace(tmp, self.path)  # atomic: a concurrent reader sees old or new
        except OSError:
            return False
        return True

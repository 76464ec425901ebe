"""The cue timeline: every cue received so far, and which are on screen at a time.

Segments of a text track arrive from the network (on the player's loop) while the viewer
asks what to draw (on its own thread), so the timeline is thread-safe. Cues received twice
(a segment refetched, a cue repeated in two HLS segments) are kept once, and pieces of
one cue split at sample or segment boundaries (``wvtt``) are joined back.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable

from player.text.cue import Cue

__all__ = ["CueTimeline"]

_JOIN = 0.002  # seconds: pieces of one cue this close are joined


class CueTimeline:
    """Cues ordered by start time; :meth:`active` answers what shows at a position."""

    def __init__(self, cues: Iterable[Cue] = ()) -> None:
        self._lock = threading.Lock()
        self._cues: list[Cue] = []
        self._starts: list[float] = []
        self._longest = 0.0
        self._version = 0
        self.add(cues)

    def add(self, cues: Iterable[Cue]) -> int:
        """Add cues; returns how many were new (duplicates and joined pieces are not)."""
        added = 0
        with self._lock:
            for cue in cues:
                if cue.end <= cue.start or self._merge(cue):
                    continue
                i = bisect.bisect_right(self._starts, cue.start)
                self._cues.insert(i, cue)
                self._starts.insert(i, cue.start)
                self._longest = max(self._longest, cue.end - cue.start)
                added += 1
            if added:
                self._version += 1
        return added

    def _merge(self, cue: Cue) -> bool:
        # Called with the lock held: True if ``cue`` is already covered or was joined.
        lo = bisect.bisect_left(self._starts, cue.start - self._longest - _JOIN)
        hi = bisect.bisect_right(self._starts, cue.end + _JOIN)
        for i in range(lo, hi):
            old = self._cues[i]
            if (old.text, old.id, old.settings) != (cue.text, cue.id, cue.settings):
                continue
            if old.start - _JOIN <= cue.start and cue.end <= old.end + _JOIN:
                return True  # a duplicate (or a piece of a cue already joined)
            if abs(old.end - cue.start) <= _JOIN or abs(cue.end - old.start) <= _JOIN:
                joined = Cue(
                    min(old.start, cue.start), max(old.end, cue.end), old.text, old.id, old.settings
                )
                del self._cues[i], self._starts[i]
                j = bisect.bisect_right(self._starts, joined.start)
                self._cues.insert(j, joined)
                self._starts.insert(j, joined.start)
                self._longest = max(self._longest, joined.end - joined.start)
                self._version += 1
                return True
        return False

    def active(self, position: float) -> list[Cue]:
        """The cues on screen at ``position``, in start order (later cues drawn on top)."""
        with self._lock:
            hi = bisect.bisect_right(self._starts, position)
            lo = bisect.bisect_left(self._starts, position - self._longest)
            return [c for c in self._cues[lo:hi] if c.active_at(position)]

    def clear(self) -> None:
        """Forget every cue (a new title, or subtitles switched to another track)."""
        with self._lock:
            self._cues.clear()
            self._starts.clear()
            self._longest = 0.0
            self._version += 1

    @property
    def cues(self) -> list[Cue]:
        """Every cue, in start order."""
        with self._lock:
            return list(self._cues)

    @property
    def version(self) -> int:
        """Changes whenever cues are added or cleared (a renderer's cheap dirty check)."""
        return self._version

    def __len__(self) -> int:
        with self._lock:
            return len(self._cues)

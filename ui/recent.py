"""Recently opened titles, remembered between runs in a small JSON file."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RecentTitle", "RecentTitles", "default_recent_path"]


def default_recent_path() -> Path:
    """``$XDG_CONFIG_HOME/abrkit/recent.json`` (``~/.config/abrkit/recent.json``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "abrkit" / "recent.json"


@dataclass(frozen=True, slots=True)
class RecentTitle:
    """What was opened (``text``, as ``parse_source`` takes it) and its display name."""

    text: str
    title: str


class RecentTitles:
    """The last ``limit`` titles, most recent first. A missing or unreadable file is an
    empty list, never an error; ``path=None`` keeps the list in memory only."""

    def __init__(self, path: Path | None = None, limit: int = 10) -> None:
        self.path = path
        self.limit = limit
        self._items: list[RecentTitle] = self._load()

    def _load(self) -> list[RecentTitle]:
        if self.path is None:
            return []
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        items: list[RecentTitle] = []
        if isinstance(raw, list):
            for entry in raw:
                if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                    title = entry.get("title")
                    items.append(
                        RecentTitle(
                            entry["text"], title if isinstance(title, str) else entry["text"]
                        )
                    )
        return items[: self.limit]

    @property
    def items(self) -> list[RecentTitle]:
        """Most recent first."""
        return list(self._items)

    def add(self, text: str, title: str) -> None:
        """Put ``text`` first (once) and save."""
        self._items = [RecentTitle(text, title)] + [i for i in self._items if i.text != text]
        del self._items[self.limit :]
        self._save()

    def clear(self) -> None:
        """Forget every title."""
        self._items = []
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        data = json.dumps([{"text": i.text, "title": i.title} for i in self._items], indent=1)
        # Write then rename, so a crash never leaves half a file.
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".recent-")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
            os.replace(tmp, self.path)

"""What to download of a title: :class:`Selection`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from player.errors import Code, PlayerError

__all__ = ["Selection"]


def _langs(values: Sequence[str]) -> tuple[str, ...]:
    out = []
    for v in values:
        tag = str(v).strip().lower()
        if not tag or not all(c.isalnum() or c == "-" for c in tag):
            raise PlayerError(Code.INVALID_ARGUMENT, f"bad language tag {v!r}")
        out.append(tag)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Selection:
    """The rungs and languages to store.

    Video: every rung within ``max_height`` (pixels) and ``max_bitrate`` (bit/s), or
    exactly the representations named in ``representation_ids``; when a cap leaves no
    rung, the lowest one is kept so the title still plays. Audio: the tracks in
    ``audio_languages`` (all when empty; a language the title lacks is
    ``INVALID_ARGUMENT``). Text: the tracks in ``text_languages`` (all when empty;
    missing ones are simply not stored). Languages match by primary tag too
    (``en`` takes ``en-US``).
    """

    max_height: int | None = None
    max_bitrate: int | None = None
    representation_ids: tuple[str, ...] = ()
    audio_languages: tuple[str, ...] = ()
    text_languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("max_height", "max_bitrate"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value <= 0
            ):
                raise PlayerError(Code.INVALID_ARGUMENT, f"{name} must be a positive integer")
        object.__setattr__(self, "representation_ids", tuple(map(str, self.representation_ids)))
        object.__setattr__(self, "audio_languages", _langs(self.audio_languages))
        object.__setattr__(self, "text_languages", _langs(self.text_languages))

    def to_json(self) -> dict[str, Any]:
        """The selection as JSON (stored with the title)."""
        return {
            "max_height": self.max_height,
            "max_bitrate": self.max_bitrate,
            "representation_ids": list(self.representation_ids),
            "audio_languages": list(self.audio_languages),
            "text_languages": list(self.text_languages),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        """Inverse of :meth:`to_json`."""
        return cls(
            max_height=data.get("max_height"),
            max_bitrate=data.get("max_bitrate"),
            representation_ids=tuple(data.get("representation_ids", ())),
            audio_languages=tuple(data.get("audio_languages", ())),
            text_languages=tuple(data.get("text_languages", ())),
        )

    def admits_video(self, rep_id: str, height: int | None, bandwidth: int) -> bool:
        """Whether a video representation is within this selection."""
        if self.representation_ids:
            return rep_id in self.representation_ids
        if self.max_height is not None and height is not None and height > self.max_height:
            return False
        return not (self.max_bitrate is not None and bandwidth > self.max_bitrate)

    @staticmethod
    def language_matches(wanted: Sequence[str], language: str | None) -> bool:
        """Whether ``language`` is one of ``wanted`` (or a regional variant of one)."""
        if not wanted:
            return True
        if not language:
            return False
        lang = language.lower()
        return any(lang == w or ("-" not in w and lang.split("-")[0] == w) for w in wanted)

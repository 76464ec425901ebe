"""Track and representation selection by capability and preference.

Representations whose codecs PyAV cannot decode are never chosen. Among video tracks the
codec family ranked first in ``Preferences.codec_preference`` wins (most efficient
first by default); rungs taller than ``max_height`` are dropped (the lowest rung is kept
so something can play). Audio and text follow the preferred language (a BCP 47 prefix
match: ``"en"`` matches ``"en-GB"``), else the manifest's default, else the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from player.capabilities import codec_family, preference_rank
from player.config import Preferences
from player.errors import Code, PlayerError
from player.manifest.model import Period, Representation, Track, TrackKind

__all__ = ["Selection", "language_matches", "select_track"]

Decodable = Callable[[str | None], bool]


@dataclass(slots=True)
class Selection:
    """A chosen track and its playable representations, lowest bitrate first."""

    track: Track
    reps: list[Representation]


def language_matches(have: str | None, want: str) -> bool:
    """BCP 47 prefix match, case-insensitive (``"en"`` matches ``"en-US"``)."""
    if not have:
        return False
    h, w = have.lower().replace("_", "-"), want.lower().replace("_", "-")
    return h == w or h.startswith(w + "-") or w.startswith(h + "-")


def _codecs(rep: Representation, track: Track) -> str | None:
    return rep.codecs or track.codecs


def _decodable_reps(track: Track, decodable: Decodable) -> list[Representation]:
    return [
        r for r in track.representations if r.index is not None and decodable(_codecs(r, track))
    ]


def _select_video(period: Period, prefs: Preferences, decodable: Decodable) -> Selection | None:
    tracks = [t for t in period.tracks_of(TrackKind.VIDEO) if not t.is_iframe_only]
    if not tracks:
        return None
    pref = prefs.codec_preference
    best: tuple[int, int, int] | None = None
    chosen: Selection | None = None
    for order, track in enumerate(tracks):
        reps = _decodable_reps(track, decodable)
        if not reps:
            continue
        # A track (HLS variants) may mix codecs: keep only its best-ranked family.
        ranks = [preference_rank(_codecs(r, track), pref) for r in reps]
        top = min(ranks)
        reps = [r for r, k in zip(reps, ranks, strict=True) if k == top]
        # Best codec rank first, then the track with most rungs, then manifest order.
        key = (top, -len(reps), order)
        if best is None or key < best:
            best, chosen = key, Selection(track, reps)
    if chosen is None:
        codecs = sorted({str(_codecs(r, t)) for t in tracks for r in t.representations})
        raise PlayerError(
            Code.NO_DECODABLE_REPRESENTATION,
            f"no video representation can be decoded here (codecs: {', '.join(codecs)})",
            data={"codecs": codecs},
        )
    reps = sorted(chosen.reps, key=lambda r: (r.bandwidth, r.height or 0))
    if prefs.max_height is not None:
        capped = [r for r in reps if r.height is None or r.height <= prefs.max_height]
        reps = capped or reps[:1]
    chosen.reps = reps
    return chosen


def _select_by_language(
    tracks: list[Track], language: str | None, decodable: Decodable
) -> Selection | None:
    usable = [(t, _decodable_reps(t, decodable)) for t in tracks]
    usable = [(t, r) for t, r in usable if r]
    if not usable:
        return None
    pick: tuple[Track, list[Representation]] | None = None
    if language:
        pick = next(((t, r) for t, r in usable if language_matches(t.language, language)), None)
    if pick is None:
        pick = next(((t, r) for t, r in usable if t.is_default), usable[0])
    track, reps = pick
    return Selection(track, sorted(reps, key=lambda r: r.bandwidth))


def select_track(
    period: Period,
    kind: TrackKind,
    prefs: Preferences,
    decodable: Decodable,
    *,
    language: str | None = None,
    track_id: str | None = None,
) -> Selection | None:
    """The track of ``kind`` to play in ``period`` and its usable rungs.

    ``language`` overrides the preference for audio/text; ``track_id`` picks a track
    exactly. Video raises ``PlayerError(NO_DECODABLE_REPRESENTATION)`` when video tracks
    exist but none decodes; audio without a decodable track is None (played without).
    """
    if track_id is not None:
        for t in period.tracks:
            if t.id == track_id and t.kind == kind:
                reps = _decodable_reps(t, decodable)
                if not reps:
                    raise PlayerError(
                        Code.NO_DECODABLE_REPRESENTATION,
                        f"track {track_id!r} has no representation that decodes here",
                    )
                return Selection(t, sorted(reps, key=lambda r: r.bandwidth))
        return None
    if kind == TrackKind.VIDEO:
        return _select_video(period, prefs, decodable)
    if kind == TrackKind.AUDIO:
        lang = language or prefs.audio_language
        return _select_by_language(period.tracks_of(TrackKind.AUDIO), lang, decodable)
    if kind == TrackKind.TEXT:
        lang = language or prefs.text_language
        if not lang:
            return None
        texts = [t for t in period.tracks_of(TrackKind.TEXT) if language_matches(t.language, lang)]
        return _select_by_language(texts, lang, decodable)
    return None


def video_family(sel: Selection) -> str | None:
    """The codec family of a video selection (for logs and ``Player.tracks``)."""
    codecs = _codecs(sel.reps[0], sel.track) if sel.reps else None
    return codec_family(codecs.split(",")[0]) if codecs else None

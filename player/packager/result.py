"""What the packager wrote: :class:`PackageResult` and its :class:`PackagedTrack` s.

A result is also saved as ``package.json`` beside the manifests, so a cached title (the
sample) can be described again without re-reading its media.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from player.errors import Code, PlayerError
from player.packager.ladder import Ladder, RungSpec

RESULT_FILE = "package.json"
"""Name of the result file written next to the manifests."""

TrackKindName = Literal["video", "audio", "text"]


@dataclass(frozen=True, slots=True)
class PackagedTrack:
    """One packaged rendition (a DASH Representation, an HLS media playlist).

    Paths are relative to :attr:`PackageResult.dir`. For single-file output
    :attr:`segments` repeats the one media file and :attr:`byte_ranges` holds each
    segment's inclusive ``(first, last)`` byte offsets; otherwise ``byte_ranges`` is empty.
    """

    kind: TrackKindName
    id: str
    codecs: str
    bandwidth: int  # peak segment bitrate (bit/s), as written in the manifests
    average_bitrate: int  # measured mean over the title (bit/s)
    init: str  # path of the init segment (or of the single media file)
    playlist: str  # HLS media playlist
    segments: tuple[str, ...]
    segment_durations: tuple[float, ...]  # seconds, measured from tfdt/trun
    segment_sizes: tuple[int, ...]  # bytes
    byte_ranges: tuple[tuple[int, int], ...] = ()
    init_range: tuple[int, int] | None = None  # single file: ftyp+moov
    index_range: tuple[int, int] | None = None  # single file: sidx
    timescale: int = 0
    segment_starts: tuple[int, ...] = ()  # tfdt of each segment, in timescale units
    target_bitrate: int | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: str | None = None  # "25" or "30000/1001"
    sample_rate: int | None = None
    channels: int | None = None
    language: str | None = None
    label: str | None = None

    @property
    def duration(self) -> float:
        """Sum of the segment durations (seconds)."""
        return float(sum(self.segment_durations))


@dataclass(frozen=True, slots=True)
class PackageResult:
    """A packaged title: where its manifests are and what each rendition holds."""

    dir: Path
    mpd: Path
    hls_master: Path
    duration: float  # presentation duration (the video's), seconds
    segment_duration: float  # nominal, seconds
    codec: str  # h264 | hevc | vp9 | av1
    video: tuple[PackagedTrack, ...]
    audio: tuple[PackagedTrack, ...] = ()
    text: tuple[PackagedTrack, ...] = ()
    timeline: bool = False
    single_file: bool = False
    key_id: str | None = None  # hex, when encrypted
    build_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rungs(self) -> tuple[PackagedTrack, ...]:
        """The video renditions, lowest bitrate first."""
        return self.video

    @property
    def ladder(self) -> Ladder:
        """The ladder the video renditions were encoded from."""
        return tuple(
            RungSpec(t.target_bitrate or t.bandwidth, t.width or 0, t.height or 0)
            for t in self.video
        )

    def path(self, relative: str) -> Path:
        """An absolute path for a path stored relative to :attr:`dir`."""
        return self.dir / relative

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (paths relative to :attr:`dir`)."""
        data = asdict(self)
        data["dir"] = "."
        data["mpd"] = self.mpd.name
        data["hls_master"] = self.hls_master.name
        return data

    def save(self) -> Path:
        """Write ``package.json`` into :attr:`dir`; returns its path."""
        target = self.dir / RESULT_FILE
        target.write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")
        return target

    @classmethod
    def load(cls, directory: str | Path) -> PackageResult:
        """Read the ``package.json`` the packager wrote in ``directory``."""
        base = Path(directory)
        try:
            data = json.loads((base / RESULT_FILE).read_text(encoding="utf-8"))
            tracks = {
                kind: tuple(_track(t) for t in data[kind]) for kind in ("video", "audio", "text")
            }
            return cls(
                dir=base,
                mpd=base / data["mpd"],
                hls_master=base / data["hls_master"],
                duration=float(data["duration"]),
                segment_duration=float(data["segment_duration"]),
                codec=str(data["codec"]),
                video=tracks["video"],
                audio=tracks["audio"],
                text=tracks["text"],
                timeline=bool(data["timeline"]),
                single_file=bool(data["single_file"]),
                key_id=data.get("key_id"),
                build_seconds=float(data.get("build_seconds", 0.0)),
                extra=dict(data.get("extra", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PlayerError(
                Code.SOURCE_UNREADABLE, f"no readable {RESULT_FILE} in {base}: {exc}"
            ) from exc


def _track(d: dict[str, Any]) -> PackagedTrack:
    def pair(v: Any) -> tuple[int, int] | None:
        return None if v is None else (int(v[0]), int(v[1]))

    return PackagedTrack(
        **{
            **d,
            "segments": tuple(d["segments"]),
            "segment_durations": tuple(d["segment_durations"]),
            "segment_sizes": tuple(d["segment_sizes"]),
            "segment_starts": tuple(d.get("segment_starts", ())),
            "byte_ranges": tuple((int(a), int(b)) for a, b in d.get("byte_ranges", ())),
            "init_range": pair(d.get("init_range")),
            "index_range": pair(d.get("index_range")),
        }
    )

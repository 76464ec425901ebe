"""The :class:`~player.manifest.Presentation` the simulator plays for a video description."""

from __future__ import annotations

from typing import TYPE_CHECKING

from player.manifest.model import (
    ByteRange,
    InitSegment,
    Period,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    Track,
    TrackKind,
)

if TYPE_CHECKING:
    from traces.sim.video import VideoDescription

#: Codecs string of the simulated rungs; the simulator's engine decodes anything.
SIM_CODECS = "avc1.64001f"


class _SizedIndex(SegmentIndex):
    """Segments of one rung with their byte ranges; O(1) by number, O(log n) by time."""

    def __init__(self, segments: list[Segment], init: InitSegment | None) -> None:
        self._segments = segments
        self._starts = [s.start for s in segments]
        self._init = init

    @property
    def init(self) -> InitSegment | None:
        return self._init

    @property
    def first_number(self) -> int:
        return 0

    @property
    def last_number(self) -> int | None:
        return len(self._segments) - 1

    def __len__(self) -> int:
        return len(self._segments)

    def by_number(self, number: int) -> Segment | None:
        if 0 <= number < len(self._segments):
            return self._segments[number]
        return None

    def at_time(self, t: float) -> Segment | None:
        import bisect

        segs = self._segments
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return segs[0]
        if t < segs[i].end:
            return segs[i]
        return segs[i + 1] if i + 1 < len(segs) else None


def build_presentation(video: VideoDescription) -> Presentation:
    """One period, one video track, one representation per rung (see
    :meth:`VideoDescription.presentation`)."""
    starts: list[float] = []
    t = 0.0
    for d in video.segment_durations:
        starts.append(t)
        t += d
    reps: list[Representation] = []
    base = f"sim://{video.name}"
    for q, rate in enumerate(video.bitrates_bps):
        init = None
        if video.init_sizes is not None:
            init = InitSegment((f"{base}/{q}/init",), ByteRange(0, video.init_sizes[q] - 1))
        segs = [
            Segment(
                number=k,
                start=starts[k],
                duration=d,
                urls=(f"{base}/{q}/{k}",),
                byte_range=ByteRange(0, video.sizes[k][q] - 1),
            )
            for k, d in enumerate(video.segment_durations)
        ]
        reps.append(
            Representation(
                id=f"r{q}",
                bandwidth=rate,
                codecs=SIM_CODECS,
                mime_type="video/mp4",
                index=_SizedIndex(segs, init),
            )
        )
    track = Track("video", TrackKind.VIDEO, reps, codecs=SIM_CODECS, mime_type="video/mp4")
    return Presentation(
        format="dash",
        url=f"{base}/manifest.mpd",
        periods=[Period("0", 0.0, t, [track])],
        duration=t,
    )

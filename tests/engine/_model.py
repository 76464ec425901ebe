"""Hand-built presentations and small concrete segment indexes for engine tests."""

from __future__ import annotations

import math
from collections.abc import Callable

from abr.interface import AbrContext, Decision, DownloadProgress, ThroughputSample
from player.manifest.model import (
    IndexRequest,
    InitSegment,
    LiveInfo,
    Period,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    Track,
    TrackKind,
)


class FixedIndex(SegmentIndex):
    """Segments of equal duration numbered ``first..last``, URLs on each origin."""

    def __init__(
        self,
        name: str,
        count: int | None,
        duration: float,
        origins: tuple[str, ...] = ("http://a.test",),
        first: int = 1,
        start: float = 0.0,
        ast: float | None = None,
        depth: float | None = None,
        is_live: bool | None = None,
    ) -> None:
        self.name = name
        self.count = count
        self.duration = duration
        self.origins = origins
        self._first = first
        self.start = start
        self.ast = ast  # live: POSIX availability start time
        self.depth = depth  # live: time-shift buffer depth
        if is_live is not None:
            self.is_live = is_live
        self._init = InitSegment(tuple(f"{o}/{name}/init.mp4" for o in origins))

    @property
    def first_number(self) -> int:
        return self._first

    @property
    def last_number(self) -> int | None:
        return None if self.count is None else self._first + self.count - 1

    def by_number(self, number: int) -> Segment | None:
        last = self.last_number
        if number < self._first or (last is not None and number > last):
            return None
        k = number - self._first
        return Segment(
            number=number,
            start=self.start + k * self.duration,
            duration=self.duration,
            urls=tuple(f"{o}/{self.name}/{number}.m4s" for o in self.origins),
        )

    def at_time(self, t: float) -> Segment | None:
        k = max(0, math.floor((t - self.start) / self.duration))
        return self.by_number(self._first + k)

    def available(self, wall_time: float | None = None) -> tuple[int, int] | None:
        if self.ast is None:
            return super().available(wall_time)
        assert wall_time is not None
        now = wall_time - self.ast
        last_k = math.floor(now / self.duration) - 1  # segment k is available at its end
        if last_k < 0:
            return None
        first_k = 0
        if self.depth is not None:
            first_k = max(0, math.floor((now - self.depth) / self.duration))
        return (self._first + first_k, self._first + last_k)

    @property
    def init(self) -> InitSegment | None:
        return self._init


def rep(
    rid: str, bandwidth: int, index: SegmentIndex | IndexRequest, **kw: object
) -> Representation:
    return Representation(id=rid, bandwidth=bandwidth, index=index, **kw)  # type: ignore[arg-type]


LADDER = (200_000, 500_000, 1_000_000, 2_500_000)


def vod(
    duration: float = 20.0,
    seg: float = 2.0,
    ladder: tuple[int, ...] = LADDER,
    origins: tuple[str, ...] = ("http://a.test",),
    audio_langs: tuple[str, ...] = ("en",),
    text_langs: tuple[str, ...] = (),
    video_codecs: str = "avc1.64001f",
) -> Presentation:
    """A VOD presentation: one video track (``ladder``), audio per language, text."""
    count = round(duration / seg)
    vreps = [
        rep(
            f"v{i}",
            bw,
            FixedIndex(f"v{i}", count, seg, origins),
            height=144 * (i + 1),
            width=256 * (i + 1),
            codecs=video_codecs,
        )
        for i, bw in enumerate(ladder)
    ]
    tracks = [Track("video", TrackKind.VIDEO, vreps, codecs=video_codecs)]
    for lang in audio_langs:
        tracks.append(
            Track(
                f"audio-{lang}",
                TrackKind.AUDIO,
                [
                    rep(
                        f"a-{lang}",
                        64_000,
                        FixedIndex(f"a-{lang}", count, seg, origins),
                        codecs="mp4a.40.2",
                    )
                ],
                language=lang,
            )
        )
    for lang in text_langs:
        tracks.append(
            Track(
                f"text-{lang}",
                TrackKind.TEXT,
                [
                    rep(
                        f"t-{lang}",
                        1_000,
                        FixedIndex(f"t-{lang}", count, seg, origins),
                        codecs="wvtt",
                    )
                ],
                language=lang,
            )
        )
    return Presentation(
        format="dash",
        url=f"{origins[0]}/manifest.mpd",
        periods=[Period("p0", 0.0, duration, tracks)],
        duration=duration,
    )


def live(
    ast: float,
    seg: float = 2.0,
    depth: float = 30.0,
    mup: float | None = 4.0,
    delay: float | None = 6.0,
    ladder: tuple[int, ...] = LADDER[:2],
) -> Presentation:
    """A live presentation whose window moves with wall-clock time."""
    vreps = [
        rep(f"v{i}", bw, FixedIndex(f"v{i}", None, seg, ast=ast, depth=depth), codecs="avc1.64001f")
        for i, bw in enumerate(ladder)
    ]
    areps = [rep("a", 64_000, FixedIndex("a", None, seg, ast=ast, depth=depth), codecs="mp4a.40.2")]
    return Presentation(
        format="dash",
        url="http://a.test/live.mpd",
        periods=[
            Period(
                "p0",
                0.0,
                None,
                [
                    Track("video", TrackKind.VIDEO, vreps),
                    Track("audio", TrackKind.AUDIO, areps, language="en"),
                ],
            )
        ],
        is_live=True,
        live=LiveInfo(
            availability_start_time=ast,
            time_shift_buffer_depth=depth,
            minimum_update_period=mup,
            suggested_presentation_delay=delay,
        ),
    )


class RatePolicy:
    """A test policy: the highest rung whose bitrate fits ``safety`` of the estimate."""

    name = "test-rate"

    def __init__(self, safety: float = 0.8) -> None:
        self.safety = safety
        self.contexts: list[AbrContext] = []

    def choose(self, ctx: AbrContext) -> Decision:
        self.contexts.append(ctx)
        est = ctx.throughput_bps
        if est is None:
            return Decision(0, "no estimate")
        q = 0
        for r in ctx.ladder:
            if r.bitrate_bps <= self.safety * est:
                q = r.index
        return Decision(q, "rate")


class AbandoningPolicy(RatePolicy):
    """Abandons to rung 0 when a download has taken longer than its segment lasts."""

    def should_abandon(self, ctx: AbrContext, progress: DownloadProgress) -> int | None:
        if progress.elapsed_s > progress.segment_duration and progress.quality > 0:
            return 0
        return None


class LastSample:
    """A test estimator: the last sample's throughput."""

    def __init__(self) -> None:
        self.last: ThroughputSample | None = None

    def add_sample(self, sample: ThroughputSample) -> None:
        self.last = sample

    def estimate_bps(self) -> float | None:
        return None if self.last is None else self.last.bps

    def latency_s(self) -> float | None:
        return None if self.last is None else self.last.latency_s


Parser = Callable[[bytes, str], Presentation]

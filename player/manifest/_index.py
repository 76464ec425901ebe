"""Concrete segment indexes: DASH template/timeline/list (lazy) and explicit lists.

A DASH index is a *timing* (where segment ``i`` sits on the media timeline and what
number it has) plus a *URL source* (a template or a SegmentList). Timings are uniform
(``@duration``) or runs of equal segments (SegmentTimeline ``S`` elements, each one run,
so ``r="1000000"`` costs one tuple). Nothing is expanded until asked for: lookups by
number and by time are O(1) for uniform timings and O(log runs) for timelines.

Times inside a timing are integers (or exact fractions with ``S@k``) in the
representation's timescale, presentationTimeOffset included, as ``$Time$`` needs them;
a :class:`~player.manifest.model.Segment` gets seconds on the presentation timeline.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from player.errors import Code, PlayerError
from player.manifest._template import UrlTemplate
from player.manifest._urls import resolve_url
from player.manifest.model import ByteRange, InitSegment, Segment, SegmentIndex

Units = int | Fraction
# More segments than this in one representation is a broken or hostile manifest.
MAX_SEGMENTS = 2**48


class Timing(Protocol):
    """Where segment ``i`` (0-based position) sits and which number it has."""

    @property
    def count(self) -> int | None:
        """Number of segments; None when unbounded (live without a known end)."""

    def span(self, i: int) -> tuple[Units, Units]:
        """(start, duration) of position ``i`` in timescale units."""

    def number(self, i: int) -> int:
        """Segment number at position ``i``."""

    def position_of(self, number: int) -> int | None:
        """Position of segment ``number``, or None when no segment has it."""

    def position_at(self, units: Units) -> int | None:
        """Position whose span contains ``units`` (the next one when in a gap, the
        first when before it), or None when past the end."""

    def positions_ending_between(self, lo: Units, hi: Units) -> tuple[int, int] | None:
        """First and last positions whose end lies in ``(lo, hi]``."""


@dataclass(frozen=True, slots=True)
class UniformTiming:
    """Segments of one duration from ``offset`` (SegmentTemplate/SegmentList ``@duration``)."""

    duration: Units
    offset: Units
    start_number: int
    total: int | None

    @property
    def count(self) -> int | None:
        return self.total

    def span(self, i: int) -> tuple[Units, Units]:
        return self.offset + i * self.duration, self.duration

    def number(self, i: int) -> int:
        return self.start_number + i

    def position_of(self, number: int) -> int | None:
        i = number - self.start_number
        if i < 0 or (self.total is not None and i >= self.total):
            return None
        return i

    def position_at(self, units: Units) -> int | None:
        i = max(0, math.floor((units - self.offset) / self.duration))
        if self.total is not None and i >= self.total:
            return None
        return i

    def positions_ending_between(self, lo: Units, hi: Units) -> tuple[int, int] | None:
        # end(i) = offset + (i + 1) * d; want lo < end(i) <= hi.
        first = max(0, math.floor((lo - self.offset) / self.duration))
        last = math.floor((hi - self.offset) / self.duration) - 1
        if self.total is not None:
            last = min(last, self.total - 1)
        return (first, last) if first <= last else None


@dataclass(frozen=True, slots=True)
class Run:
    """``count`` segments of ``duration`` from ``start``; the last may be ``last_duration``."""

    first_position: int
    start: Units
    duration: Units
    count: int | None  # None: repeats without end (r=-1 in a live MPD with no end)
    first_number: int
    last_duration: Units | None = None

    def end(self) -> Units | None:
        if self.count is None:
            return None
        return self.start + (self.count - 1) * self.duration + self.last(self.count - 1)

    def last(self, j: int) -> Units:
        if self.last_duration is not None and self.count is not None and j == self.count - 1:
            return self.last_duration
        return self.duration


class RunTiming:
    """A SegmentTimeline as runs; see :func:`build_runs`."""

    def __init__(self, runs: list[Run], start_number: int = 1) -> None:
        self._runs = runs
        self._start_number = start_number
        self._positions = [r.first_position for r in runs]
        self._numbers = [r.first_number for r in runs]
        self._starts = [r.start for r in runs]
        last = runs[-1] if runs else None
        if last is None:
            self._count: int | None = 0
        elif last.count is None:
            self._count = None
        else:
            self._count = last.first_position + last.count

    @property
    def runs(self) -> list[Run]:
        """The runs, in order."""
        return self._runs

    @property
    def count(self) -> int | None:
        return self._count

    def _run_at_position(self, i: int) -> Run:
        return self._runs[bisect.bisect_right(self._positions, i) - 1]

    def span(self, i: int) -> tuple[Units, Units]:
        run = self._run_at_position(i)
        j = i - run.first_position
        return run.start + j * run.duration, run.last(j)

    def number(self, i: int) -> int:
        if not self._runs:
            return self._start_number + i
        run = self._run_at_position(i)
        return run.first_number + (i - run.first_position)

    def position_of(self, number: int) -> int | None:
        k = bisect.bisect_right(self._numbers, number) - 1
        if k < 0:
            return None
        run = self._runs[k]
        j = number - run.first_number
        if run.count is not None and j >= run.count:
            return None
        return run.first_position + j

    def position_at(self, units: Units) -> int | None:
        if not self._runs:
            return None
        k = bisect.bisect_right(self._starts, units) - 1
        if k < 0:
            return 0
        run = self._runs[k]
        j = math.floor((units - run.start) / run.duration)
        if run.count is None:
            return run.first_position + j
        if j < run.count:
            i = run.first_position + j
            start, dur = self.span(i)
            if units < start + dur:
                return i
            j = run.count  # in the shortened tail of the run: a gap
        # In a gap after run k: the next run's first segment, if any.
        if k + 1 < len(self._runs):
            return self._runs[k + 1].first_position
        return None

    def positions_ending_between(self, lo: Units, hi: Units) -> tuple[int, int] | None:
        count = self._count
        if count == 0:
            return None
        first = self.position_at(lo)
        if first is None:
            return None
        s, d = self.span(first)
        if s + d <= lo:
            first += 1
        last = self.position_at(hi)
        if last is None:
            last = count - 1 if count is not None else None
            if last is None:
                return None
        else:
            s, d = self.span(last)
            if s + d > hi:
                last -= 1
        if count is not None:
            last = min(last, count - 1)
        return (first, last) if first <= last else None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One ``S`` element as written: ``t``, ``d``, ``r``, ``n``, ``k`` (None when absent)."""

    t: int | None
    d: int
    r: int
    n: int | None = None
    k: int | None = None


def build_runs(
    entries: Sequence[TimelineEntry],
    start_number: int,
    period_end_units: Units | None,
    offset: Units,
    where: str,
) -> RunTiming:
    """Runs from SegmentTimeline entries (S@t/@d/@r incl. r=-1, S@n, S@k)."""
    runs: list[Run] = []
    position = 0
    number = start_number
    t_next: Units = offset
    for idx, s in enumerate(entries):
        if s.d <= 0:
            raise PlayerError(Code.DASH_INVALID, f"{where}: S@d must be positive, got {s.d}")
        k = s.k if s.k is not None else 1
        if k <= 0:
            raise PlayerError(Code.DASH_INVALID, f"{where}: S@k must be positive, got {k}")
        t: Units = s.t if s.t is not None else t_next
        if runs and t < t_next:
            prev = runs[-1]
            assert prev.count is not None
            prev_last_start = prev.start + (prev.count - 1) * prev.duration
            if t <= prev_last_start:
                raise PlayerError(
                    Code.DASH_INVALID,
                    f"{where}: S[{idx}]@t={s.t} goes back before the previous segment",
                )
            # An overlap: the previous segment ends where this one starts (as Shaka does).
            runs[-1] = Run(
                prev.first_position,
                prev.start,
                prev.duration,
                prev.count,
                prev.first_number,
                t - prev_last_start,
            )
        if s.n is not None:
            if s.n < number:
                raise PlayerError(
                    Code.DASH_INVALID, f"{where}: S[{idx}]@n={s.n} repeats an earlier number"
                )
            number = s.n
        duration: Units = s.d if k == 1 else Fraction(s.d, k)
        count: int | None
        if s.r >= 0:
            count = (s.r + 1) * k
        elif s.r == -1:
            nxt = entries[idx + 1] if idx + 1 < len(entries) else None
            if nxt is not None:
                if nxt.t is None:
                    raise PlayerError(
                        Code.DASH_INVALID,
                        f"{where}: S[{idx}]@r=-1 needs the next S to carry @t",
                    )
                count = max(0, math.ceil((nxt.t - t) / duration))
            elif period_end_units is not None:
                count = max(0, math.ceil((period_end_units - t) / duration))
            else:
                count = None
        else:
            raise PlayerError(Code.DASH_INVALID, f"{where}: S[{idx}]@r={s.r} is invalid")
        if count == 0:
            t_next = t
            continue
        runs.append(Run(position, t, duration, count, number))
        if count is None:
            if idx + 1 < len(entries):
                raise PlayerError(
                    Code.DASH_INVALID, f"{where}: S[{idx}]@r=-1 without an end is not last"
                )
            break
        position += count
        number += count
        t_next = t + count * duration
        if position > MAX_SEGMENTS:
            raise PlayerError(
                Code.DASH_INVALID, f"{where}: timeline describes more than 2^48 segments"
            )
    return RunTiming(runs, start_number)


@dataclass(frozen=True, slots=True)
class LiveWindow:
    """What a dynamic MPD says about when segments can be fetched (seconds)."""

    availability_start_time: float
    time_shift_buffer_depth: float | None
    availability_time_offset: float


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One SegmentList ``SegmentURL``: media URL (None: the BaseURL) and mediaRange."""

    media: str | None
    media_range: ByteRange | None


class DashSegmentIndex(SegmentIndex):
    """A DASH SegmentTemplate or SegmentList index over a :class:`Timing`."""

    def __init__(
        self,
        timing: Timing,
        *,
        timescale: int,
        presentation_time_offset: int,
        period_start: float,
        period_end: float | None,
        base_urls: tuple[str, ...],
        representation_id: str,
        bandwidth: int,
        template: UrlTemplate | None = None,
        entries: Sequence[ListEntry] | None = None,
        init: InitSegment | None = None,
        live: LiveWindow | None = None,
        where: str = "",
    ) -> None:
        self._timing = timing
        self._timescale = timescale
        self._pto = presentation_time_offset
        self._period_start = period_start
        self._period_end = period_end
        self._base_urls = base_urls or ("",)
        self._rep_id = representation_id
        self._bandwidth = bandwidth
        self._template = template
        self._entries = entries
        self._init = init
        self._live = live
        self._where = where
        count = timing.count
        if entries is not None:
            count = len(entries) if count is None else min(count, len(entries))
        self._count = count
        if count is not None and count > MAX_SEGMENTS:
            raise PlayerError(
                Code.DASH_INVALID, f"{where}: more than 2^48 segments; refusing the manifest"
            )

    @property
    def timing(self) -> Timing:
        """The timing underneath (uniform or timeline runs)."""
        return self._timing

    @property
    def timescale(self) -> int:
        """Units per second of the media timeline."""
        return self._timescale

    @property
    def live_window(self) -> LiveWindow | None:
        """Availability parameters when the MPD is dynamic."""
        return self._live

    @property
    def init(self) -> InitSegment | None:
        return self._init

    @property
    def first_number(self) -> int:
        return self._timing.number(0)

    @property
    def last_number(self) -> int | None:
        if self._count is None:
            return None
        if self._count == 0:
            return self.first_number - 1
        return self._timing.number(self._count - 1)

    def __len__(self) -> int:
        if self._count is None:
            raise TypeError("an unbounded live index has no length")
        return self._count

    def __iter__(self) -> Iterator[Segment]:
        if self._count is None:
            raise TypeError("iterate an unbounded index through available()")
        for i in range(self._count):
            yield self._segment(i)

    def by_number(self, number: int) -> Segment | None:
        p = self._timing.position_of(number)
        if p is None or (self._count is not None and p >= self._count):
            return None
        return self._segment(p)

    def _to_units(self, t: float) -> Units:
        return Fraction(t - self._period_start) * self._timescale + self._pto

    def at_time(self, t: float) -> Segment | None:
        if math.isnan(t):
            return None
        if self._count == 0:
            return None
        if math.isinf(t):
            return self._segment(0) if t < 0 else None
        if (
            self._period_end is not None
            and isinstance(self._timing, UniformTiming)
            and t >= self._period_end
        ):
            return None  # the last @duration segment was cut at the period end
        p = self._timing.position_at(self._to_units(t))
        if p is None or (self._count is not None and p >= self._count):
            return None
        return self._segment(p)

    def available(self, wall_time: float | None = None) -> tuple[int, int] | None:
        live = self._live
        if live is None or wall_time is None:
            if self._count is None:
                return None
            return super().available(wall_time)
        # Segment i can be fetched once its end (on the wall clock) minus the
        # availabilityTimeOffset has passed, until timeShiftBufferDepth after its end.
        # An infinite offset (chunked low-latency) makes the segment being produced,
        # the one containing "now", the last available.
        now = wall_time - live.availability_start_time - self._period_start
        if live.time_shift_buffer_depth is None:
            lo: Units = self._pto - 1
            if self._timing.count == 0:
                return None
            lo = min(lo, self._timing.span(0)[0] - 1)
        else:
            lo = Fraction(now - live.time_shift_buffer_depth) * self._timescale + self._pto
        if self._period_end is not None:
            # Nothing after the period's end becomes available.
            now = min(now, self._period_end - self._period_start)
        now_u = Fraction(now) * self._timescale + self._pto
        if math.isinf(live.availability_time_offset):
            p = self._timing.position_at(now_u)
            if p is None:
                if self._count is None:
                    return None
                p = self._count - 1
            hi = sum(self._timing.span(p))
        else:
            hi = now_u + Fraction(live.availability_time_offset) * self._timescale
        found = self._timing.positions_ending_between(lo, hi)
        if found is None:
            return None
        first, last = found
        if self._count is not None:
            last = min(last, self._count - 1)
        if first > last:
            return None
        return (self._timing.number(first), self._timing.number(last))

    def _segment(self, i: int) -> Segment:
        start_u, dur_u = self._timing.span(i)
        number = self._timing.number(i)
        start = self._period_start + float(Fraction(start_u - self._pto) / self._timescale)
        duration = float(Fraction(dur_u) / self._timescale)
        if (
            self._period_end is not None
            and isinstance(self._timing, UniformTiming)
            and start + duration > self._period_end
        ):
            # The last @duration segment ends with its period (ISO/IEC 23009-1 5.3.9.5.3).
            duration = max(0.0, self._period_end - start)
        byte_range = None
        if self._entries is not None:
            entry = self._entries[i]
            media = entry.media
            byte_range = entry.media_range
        else:
            assert self._template is not None
            media = self._template.expand(
                self._rep_id,
                self._bandwidth,
                number=number,
                time=math.floor(start_u),
            )
        if media is None:
            urls = self._base_urls
        else:
            urls = tuple(resolve_url(b, media, self._where) for b in self._base_urls)
        return Segment(
            number=number,
            start=start,
            duration=duration,
            urls=urls,
            byte_range=byte_range,
            init=self._init,
        )


class ExplicitIndex(SegmentIndex):
    """Segments known one by one (a parsed sidx, an HLS media playlist, a single file).

    Numbers are consecutive from the first segment's; lookups are O(1) by number and
    O(log n) by time.
    """

    def __init__(self, segments: Sequence[Segment], init: InitSegment | None = None) -> None:
        self._segments = list(segments)
        self._starts = [s.start for s in self._segments]
        self._init = init
        self._first = self._segments[0].number if self._segments else 0

    @property
    def init(self) -> InitSegment | None:
        return self._init

    @property
    def first_number(self) -> int:
        return self._first

    @property
    def last_number(self) -> int | None:
        return self._first + len(self._segments) - 1

    def __len__(self) -> int:
        return len(self._segments)

    def __iter__(self) -> Iterator[Segment]:
        return iter(self._segments)

    def by_number(self, number: int) -> Segment | None:
        i = number - self._first
        if 0 <= i < len(self._segments):
            return self._segments[i]
        return None

    def at_time(self, t: float) -> Segment | None:
        if not self._segments or math.isnan(t):
            return None
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return self._segments[0]
        seg = self._segments[i]
        if t < seg.end:
            return seg
        return self._segments[i + 1] if i + 1 < len(self._segments) else None

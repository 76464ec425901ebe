"""Building ``abr``'s frozen value objects cheaply: contexts, progress, samples.

The engine builds an :class:`abr.AbrContext` for every ABR decision and every
abandonment check, a :class:`abr.DownloadProgress` for every check and a
:class:`abr.ThroughputSample` for every download: hundreds per simulated session. They
are frozen slotted dataclasses, whose generated ``__init__`` sets each field through
``object.__setattr__``; setting the slots through their descriptors makes the same
object in about half the time. The shortcut is taken for a class only while it has
exactly the fields below, as slots, and no ``__post_init__`` (and ``AbrContext.extra``
still defaults to a new dict); otherwise the builder is the class's own constructor.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from typing import Any

from abr.interface import (
    AbrContext,
    DownloadProgress,
    PlaybackState,
    Rung,
    ThroughputSample,
)

__all__ = ["new_context", "new_progress", "new_sample"]

_CONTEXT_FIELDS = (
    "now",
    "ladder",
    "segment_duration",
    "buffer_level",
    "buffer_target",
    "buffer_capacity",
    "throughput_bps",
    "latency_s",
    "samples",
    "last_quality",
    "state",
    "segment_number",
    "segments_left",
    "next_sizes",
    "rebuffer_s",
    "extra",
)
_PROGRESS_FIELDS = ("quality", "bytes_loaded", "bytes_total", "elapsed_s", "segment_duration")
_SAMPLE_FIELDS = ("nbytes", "seconds", "end_time", "latency_s")

ContextBuilder = Callable[
    [
        float,
        tuple[Rung, ...],
        float,
        float,
        float,
        float,
        float | None,
        float | None,
        tuple[ThroughputSample, ...],
        int | None,
        PlaybackState,
        int,
        int | None,
        tuple[int | None, ...] | None,
        float,
    ],
    AbrContext,
]
ProgressBuilder = Callable[[int, int, int | None, float, float], DownloadProgress]
SampleBuilder = Callable[[int, float, float, float], ThroughputSample]


def _slot_setters(cls: type, names: tuple[str, ...]) -> list[Callable[[Any, Any], None]] | None:
    """The slots' setters when the shortcut applies to ``cls`` (see the module doc)."""
    fields = dataclasses.fields(cls)
    if tuple(f.name for f in fields) != names or hasattr(cls, "__post_init__"):
        return None
    descriptors = [cls.__dict__.get(n) for n in names]
    if not all(isinstance(d, types.MemberDescriptorType) for d in descriptors):
        return None
    return [d.__set__ for d in descriptors]  # type: ignore[union-attr]


def _plain_context(
    now: float,
    ladder: tuple[Rung, ...],
    segment_duration: float,
    buffer_level: float,
    buffer_target: float,
    buffer_capacity: float,
    throughput_bps: float | None,
    latency_s: float | None,
    samples: tuple[ThroughputSample, ...],
    last_quality: int | None,
    state: PlaybackState,
    segment_number: int,
    segments_left: int | None,
    next_sizes: tuple[int | None, ...] | None,
    rebuffer_s: float,
) -> AbrContext:
    return AbrContext(
        now=now,
        ladder=ladder,
        segment_duration=segment_duration,
        buffer_level=buffer_level,
        buffer_target=buffer_target,
        buffer_capacity=buffer_capacity,
        throughput_bps=throughput_bps,
        latency_s=latency_s,
        samples=samples,
        last_quality=last_quality,
        state=state,
        segment_number=segment_number,
        segments_left=segments_left,
        next_sizes=next_sizes,
        rebuffer_s=rebuffer_s,
    )


def _context_builder() -> ContextBuilder:
    setters = _slot_setters(AbrContext, _CONTEXT_FIELDS)
    if setters is None or dataclasses.fields(AbrContext)[-1].default_factory is not dict:
        return _plain_context
    (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) = setters
    new = object.__new__

    def fast(
        now: float,
        ladder: tuple[Rung, ...],
        segment_duration: float,
        buffer_level: float,
        buffer_target: float,
        buffer_capacity: float,
        throughput_bps: float | None,
        latency_s: float | None,
        samples: tuple[ThroughputSample, ...],
        last_quality: int | None,
        state: PlaybackState,
        segment_number: int,
        segments_left: int | None,
        next_sizes: tuple[int | None, ...] | None,
        rebuffer_s: float,
    ) -> AbrContext:
        ctx: AbrContext = new(AbrContext)
        s0(ctx, now)
        s1(ctx, ladder)
        s2(ctx, segment_duration)
        s3(ctx, buffer_level)
        s4(ctx, buffer_target)
        s5(ctx, buffer_capacity)
        s6(ctx, throughput_bps)
        s7(ctx, latency_s)
        s8(ctx, samples)
        s9(ctx, last_quality)
        s10(ctx, state)
        s11(ctx, segment_number)
        s12(ctx, segments_left)
        s13(ctx, next_sizes)
        s14(ctx, rebuffer_s)
        s15(ctx, {})
        return ctx

    return fast


def _progress_builder() -> ProgressBuilder:
    setters = _slot_setters(DownloadProgress, _PROGRESS_FIELDS)
    if setters is None:
        return DownloadProgress
    s0, s1, s2, s3, s4 = setters
    new = object.__new__

    def fast(
        quality: int,
        bytes_loaded: int,
        bytes_total: int | None,
        elapsed_s: float,
        segment_duration: float,
    ) -> DownloadProgress:
        p: DownloadProgress = new(DownloadProgress)
        s0(p, quality)
        s1(p, bytes_loaded)
        s2(p, bytes_total)
        s3(p, elapsed_s)
        s4(p, segment_duration)
        return p

    return fast


def _sample_builder() -> SampleBuilder:
    setters = _slot_setters(ThroughputSample, _SAMPLE_FIELDS)
    if setters is None:
        return ThroughputSample
    s0, s1, s2, s3 = setters
    new = object.__new__

    def fast(nbytes: int, seconds: float, end_time: float, latency_s: float) -> ThroughputSample:
        sample: ThroughputSample = new(ThroughputSample)
        s0(sample, nbytes)
        s1(sample, seconds)
        s2(sample, end_time)
        s3(sample, latency_s)
        return sample

    return fast


#: ``new_context(now, ladder, segment_duration, buffer_level, buffer_target,
#: buffer_capacity, throughput_bps, latency_s, samples, last_quality, state,
#: segment_number, segments_left, next_sizes, rebuffer_s)``: an ``AbrContext`` equal to
#: the one its constructor makes from these fields (``extra`` empty).
new_context: ContextBuilder = _context_builder()
#: ``new_progress(quality, bytes_loaded, bytes_total, elapsed_s, segment_duration)``.
new_progress: ProgressBuilder = _progress_builder()
#: ``new_sample(nbytes, seconds, end_time, latency_s)``.
new_sample: SampleBuilder = _sample_builder()
